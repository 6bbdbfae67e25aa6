"""Watch the memory work: cell state and gate activations along a recorded rollout."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch as th
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.utils import obs_as_tensor
from stable_baselines3.common.vec_env import VecEnv

from rl_lstm.memory import TRIAL_START_KEY, StateResetRule, reset_states

# Largest horizon reported: a forget gate that rounds to 1 keeps its cell "forever".
HORIZON_CAP = 1e7


def memory_horizon(forget_gate: np.ndarray) -> float:
    """How many steps a cell keeps its value: the median over units of ``1 / (1 - f)``, where
    ``f`` is a unit's mean forget-gate activation over the leading axes of ``forget_gate``
    ([..., units]); capped at HORIZON_CAP."""
    values = np.asarray(forget_gate, dtype=np.float64)
    mean = values.reshape(-1, values.shape[-1]).mean(0)
    return float(np.median(1.0 / np.maximum(1.0 - mean, 1.0 / HORIZON_CAP)))


@dataclass
class MemoryTrace:
    """Per-step record of one environment's rollout; arrays are indexed by step.

    ``cell``/``hidden`` are the top actor layer's state after the step, the gates that
    layer's input, forget and output activations at the step, ``frames[t]`` the picture
    seen before acting at step ``t``, ``state_resets[t]`` whether the state was zeroed
    before it.
    """

    frames: list[np.ndarray]
    cell: np.ndarray
    hidden: np.ndarray
    input_gate: np.ndarray
    forget_gate: np.ndarray
    output_gate: np.ndarray
    rewards: np.ndarray
    episode_starts: np.ndarray
    trial_starts: np.ndarray
    state_resets: np.ndarray
    episode_returns: list[float]


def trace_rollout(
    model: BaseAlgorithm,
    env: VecEnv,
    n_episodes: int,
    deterministic: bool = True,
    render: bool = True,
) -> MemoryTrace:
    """Run ``model`` for ``n_episodes`` in a one-env ``env`` and record its memory.

    The state is zeroed exactly where the model's memory mode says (in ``"trial"`` mode
    it is carried across the episodes of a trial).
    """
    if env.num_envs != 1:
        raise ValueError(f"trace_rollout needs a VecEnv with 1 env, got num_envs={env.num_envs}")
    policy = model.policy
    rule = StateResetRule(model.memory, model.trial_returns)
    steps: dict[str, list] = {
        key: []
        for key in (
            "frames", "cell", "hidden", "input_gate", "forget_gate", "output_gate",
            "rewards", "episode_starts", "trial_starts", "state_resets",
        )
    }  # fmt: skip
    episode_returns: list[float] = []
    obs = env.reset()
    states = policy.initial_state(1)
    resets = rule.resets_at_start(1)
    episode_start, episode_return = True, 0.0
    trial_start = bool(env.unwrapped.reset_infos[0].get(TRIAL_START_KEY, True))
    policy.set_training_mode(False)
    while len(episode_returns) < n_episodes:
        if render:
            steps["frames"].append(np.asarray(env.render()))
        if resets.any():
            states = reset_states(states, resets)
        with th.no_grad():
            out = policy.act(obs_as_tensor(obs, policy.device), states, deterministic)
        gates = out.gate_activations[0].cpu().numpy()
        steps["input_gate"].append(gates[0])
        steps["forget_gate"].append(gates[1])
        steps["output_gate"].append(gates[3])
        steps["cell"].append(out.states.pi[1][-1, 0].cpu().numpy())
        steps["hidden"].append(out.states.pi[0][-1, 0].cpu().numpy())
        steps["episode_starts"].append(episode_start)
        steps["trial_starts"].append(trial_start)
        steps["state_resets"].append(bool(resets[0]))
        obs, reward, dones, _ = env.step(out.actions.cpu().numpy())
        steps["rewards"].append(float(reward[0]))
        episode_return += float(reward[0])
        states = out.states
        resets = rule.resets_after_step(dones, env.unwrapped.reset_infos)
        episode_start = bool(dones[0])
        trial_start = episode_start and bool(
            env.unwrapped.reset_infos[0].get(TRIAL_START_KEY, True)
        )
        if episode_start:
            episode_returns.append(episode_return)
            episode_return = 0.0
    frames = steps.pop("frames")
    return MemoryTrace(
        frames=frames,
        episode_returns=episode_returns,
        **{key: np.array(values) for key, values in steps.items()},
    )
