"""Watch the memory work: cell state and gate activations along a recorded rollout."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from rl_lstm.play import play
from rl_lstm.policies import RecurrentActorCriticPolicy

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
    """Run an rl_lstm ``model`` for ``n_episodes`` in a one-env ``env`` and record its memory.

    Play (:func:`rl_lstm.play.play`) begins with a trial, and the state is zeroed exactly
    where the model's memory mode says (in ``"trial"`` mode it is carried across the episodes
    of a trial).
    """
    if not isinstance(model.policy, RecurrentActorCriticPolicy):
        raise ValueError(
            f"trace_rollout needs an rl_lstm RecurrentPPO model, got {type(model).__name__}"
        )
    steps: dict[str, list] = {
        key: []
        for key in (
            "frames", "cell", "hidden", "input_gate", "forget_gate", "output_gate",
            "rewards", "episode_starts", "trial_starts", "state_resets",
        )
    }  # fmt: skip
    episode_returns: list[float] = []
    episode_return = 0.0
    filmed = n_episodes if render else 0
    for step in play(model, env, deterministic, filmed_episodes=filmed):
        if render:
            steps["frames"].append(step.frame)
        gates = step.act.gate_activations[0].cpu().numpy()
        steps["input_gate"].append(gates[0])
        steps["forget_gate"].append(gates[1])
        steps["output_gate"].append(gates[3])
        steps["cell"].append(step.act.states.pi[1][-1, 0].cpu().numpy())
        steps["hidden"].append(step.act.states.pi[0][-1, 0].cpu().numpy())
        steps["episode_starts"].append(step.episode_start)
        steps["trial_starts"].append(step.trial_start)
        steps["state_resets"].append(step.state_reset)
        steps["rewards"].append(step.reward)
        episode_return += step.reward
        if step.done:
            episode_returns.append(episode_return)
            episode_return = 0.0
            if len(episode_returns) == n_episodes:
                break
    frames = steps.pop("frames")
    return MemoryTrace(
        frames=frames,
        episode_returns=episode_returns,
        **{key: np.array(values) for key, values in steps.items()},
    )
