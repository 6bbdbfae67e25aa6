"""Playing episodes with a trained model, the LSTM state carried as in training, frames optional."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from rl_lstm import RecurrentPPO
from rl_lstm.memory import TRIAL_START_KEY, MemoryMode, StateResetRule
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
    rule = (
        StateResetRule(model.memory, model.trial_returns)
        if isinstance(model, RecurrentPPO)
        else StateResetRule(MemoryMode.EPISODE)
    )
    returns: list[float] = []
    lengths: list[int] = []
    frames: list[np.ndarray] = []
    trials = TrialTracker(1)
    observation, state = env.reset(), None
    # The auto-reset after a previous call's last episode may have begun the trial that this
    # reset continues: reset on to the next trial start (at once for envs without trials).
    while not env.unwrapped.reset_infos[0].get(TRIAL_START_KEY, True):
        observation = env.reset()
    starts = rule.resets_at_start(1)
    while len(returns) < n_episodes or (whole_trials and trials.in_trial()):
        if len(returns) < filmed_episodes:
            frames.append(env.render())
        action, state = model.predict(
            observation, state=state, episode_start=starts, deterministic=deterministic
        )
        observation, _, dones, infos = env.step(action)
        reset_infos = env.unwrapped.reset_infos
        starts = rule.resets_after_step(dones, reset_infos)
        trials.update(dones, infos, reset_infos)
        if dones[0]:
            returns.append(float(infos[0]["episode"]["r"]))
            lengths.append(int(infos[0]["episode"]["l"]))
    return Episodes(returns, lengths, trials, frames)
