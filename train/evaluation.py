"""Playing episodes with a trained model, the LSTM state carried as in training, frames optional."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from rl_lstm import RecurrentPPO
from rl_lstm.memory import StateResetRule


@dataclass
class Episodes:
    """Returns and lengths of played episodes, and the frames recorded of the first ones."""

    returns: list[float]
    lengths: list[int]
    frames: list[np.ndarray] = field(default_factory=list)


def play_episodes(
    model: BaseAlgorithm,
    env: VecEnv,
    n_episodes: int,
    deterministic: bool = True,
    filmed_episodes: int = 0,
) -> Episodes:
    """Play ``n_episodes`` on a monitored 1-env VecEnv, zeroing the state where training does.

    rl_lstm models follow their memory mode (in ``"trial"`` mode the state is carried across
    the episodes of a trial); other recurrent models zero it at every episode start. Frames of
    the first ``filmed_episodes`` episodes are rendered, each before its step's action (the env
    must then render ``rgb_array``).
    """
    rule = None
    if isinstance(model, RecurrentPPO):
        rule = StateResetRule(model.memory, model.trial_returns)
    returns: list[float] = []
    lengths: list[int] = []
    frames: list[np.ndarray] = []
    observation, state = env.reset(), None
    starts = rule.resets_at_start(1) if rule else np.ones(1, dtype=bool)
    while len(returns) < n_episodes:
        if len(returns) < filmed_episodes:
            frames.append(env.render())
        action, state = model.predict(
            observation, state=state, episode_start=starts, deterministic=deterministic
        )
        observation, _, dones, infos = env.step(action)
        starts = rule.resets_after_step(dones, env.unwrapped.reset_infos) if rule else dones
        if dones[0]:
            returns.append(float(infos[0]["episode"]["r"]))
            lengths.append(int(infos[0]["episode"]["l"]))
    return Episodes(returns, lengths, frames)
