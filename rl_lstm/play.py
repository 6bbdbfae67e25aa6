"""One play loop: a model stepped through a one-env VecEnv, the state zeroed as the memory
contract (:mod:`rl_lstm.memory`) says. Evaluation, recording and memory traces all use it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from rl_lstm.memory import StateResetRule, trial_starts
from rl_lstm.policies import ActOutput, RecurrentActorCriticPolicy


@dataclass
class PlayStep:
    """One step of play.

    ``observation`` and ``frame`` (None unless filmed) are what was seen before acting;
    ``reward``, ``done``, ``info`` what the step returned, ``reset_info`` the info of the
    auto-reset after an episode's end. ``state_reset``: the state was zeroed before this step.
    ``act``: an rl_lstm model's step (gates, the states after it), None for other models.
    """

    observation: Any
    frame: np.ndarray | None
    action: np.ndarray
    reward: float
    done: bool
    info: dict[str, Any]
    reset_info: dict[str, Any]
    episode_start: bool
    trial_start: bool
    state_reset: bool
    act: ActOutput | None


def play(
    model: BaseAlgorithm, env: VecEnv, deterministic: bool = True, filmed_episodes: int = 0
) -> Iterator[PlayStep]:
    """Step ``model`` through the one-env ``env`` for as long as the caller iterates.

    Play begins with a trial: ``env`` is reset, on to the next trial start when the previous
    play stopped within a trial. rl_lstm models act through ``policy.act`` (gates included)
    and follow their memory mode; other models act through ``predict`` with
    ``episode_start`` at episode starts. The first ``filmed_episodes`` episodes are rendered,
    each frame before its step's action.
    """
    if env.num_envs != 1:
        raise ValueError(f"play needs a VecEnv with 1 env, got num_envs={env.num_envs}")
    observation = env.reset()
    # The auto-reset after a previous play's last episode may have begun the trial that this
    # reset continues: reset on to the next trial start (at once for envs without trials).
    while not trial_starts(env.unwrapped.reset_infos)[0]:
        observation = env.reset()
    policy = model.policy
    lstm_model = isinstance(policy, RecurrentActorCriticPolicy)
    if lstm_model:
        policy.set_training_mode(False)
        rule = StateResetRule(model.memory, model.trial_returns)
        states, resets = rule.after_reset(policy.initial_state(1))
    else:
        predict_state, resets = None, np.ones(1, dtype=bool)
    episode_start = trial_start = True
    episodes_done = 0
    while True:
        frame = np.asarray(env.render()) if episodes_done < filmed_episodes else None
        out = None
        if lstm_model:
            with th.no_grad():
                out = policy.act(policy.obs_to_tensor(observation)[0], states, deterministic)
            action = out.actions.cpu().numpy()
            if isinstance(env.action_space, spaces.Box):  # as predict() clips
                action = np.clip(action, env.action_space.low, env.action_space.high)
        else:
            action, predict_state = model.predict(
                observation, state=predict_state, episode_start=resets, deterministic=deterministic
            )
        next_observation, rewards, dones, infos = env.step(action)
        reset_infos = env.unwrapped.reset_infos
        yield PlayStep(
            observation=observation,
            frame=frame,
            action=action,
            reward=float(rewards[0]),
            done=bool(dones[0]),
            info=infos[0],
            reset_info=reset_infos[0],
            episode_start=episode_start,
            trial_start=trial_start,
            state_reset=bool(resets[0]),
            act=out,
        )
        if lstm_model:
            states, resets = rule.after_step(out.states, dones, reset_infos)
        else:
            resets = dones
        observation = next_observation
        episode_start = bool(dones[0])
        trial_start = episode_start and bool(trial_starts(reset_infos)[0])
        episodes_done += episode_start
