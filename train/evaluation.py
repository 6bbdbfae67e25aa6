"""Playing episodes with a trained model, the LSTM state carried as in training, frames optional."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from rl_lstm.play import play
from train.trial_curves import TrialTracker


@dataclass
class Episodes:
    """Returns and lengths of played episodes, their returns by position within a trial, and the
    frames recorded of the first ones."""

    returns: list[float]
    lengths: list[int]
    trials: TrialTracker
    frames: list[np.ndarray] = field(default_factory=list)


def play_episodes(
    model: BaseAlgorithm,
    env: VecEnv,
    n_episodes: int,
    deterministic: bool = True,
    filmed_episodes: int = 0,
    whole_trials: bool = False,
) -> Episodes:
    """Play ``n_episodes`` on a monitored 1-env VecEnv, zeroing the state where training does.

    rl_lstm models follow their memory mode (in ``"trial"`` mode the state is carried across
    the episodes of a trial); other recurrent models zero it at every episode start. Frames of
    the first ``filmed_episodes`` episodes are rendered, each before its step's action (the env
    must then render ``rgb_array``). Play begins with a trial; with ``whole_trials`` it goes on
    until the trial in progress ends, so that every trial played is complete.
    """
    returns: list[float] = []
    lengths: list[int] = []
    frames: list[np.ndarray] = []
    trials = TrialTracker(1)
    for step in play(model, env, deterministic, filmed_episodes):
        if step.frame is not None:
            frames.append(step.frame)
        trials.update(np.array([step.done]), [step.info], [step.reset_info])
        if step.done:
            returns.append(float(step.info["episode"]["r"]))
            lengths.append(int(step.info["episode"]["l"]))
            if len(returns) >= n_episodes and not (whole_trials and trials.in_trial()):
                break
    return Episodes(returns, lengths, trials, frames)
