"""Playing episodes with a trained model, the LSTM state carried step to step, frames optional."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.vec_env import VecEnv


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
    """Play ``n_episodes`` on a 1-env VecEnv (SB3's evaluate_policy carries recurrent states).

    Frames of the first ``filmed_episodes`` episodes are rendered; the env must then have been
    made with ``render_mode="rgb_array"``.
    """
    frames: list[np.ndarray] = []

    def film(local_vars: dict, _globals: dict) -> None:
        if local_vars["episode_counts"][0] < filmed_episodes:
            frames.append(env.render())

    returns, lengths = evaluate_policy(
        model,
        env,
        n_eval_episodes=n_episodes,
        deterministic=deterministic,
        return_episode_rewards=True,
        callback=film if filmed_episodes else None,
        warn=False,
    )
    return Episodes(list(map(float, returns)), list(map(int, lengths)), frames)
