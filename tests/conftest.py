"""Shared test fixtures: scripted envs whose episode and trial boundaries are known."""

from __future__ import annotations

import os
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

os.environ.setdefault("WANDB_MODE", "offline")


class ScheduledEpisodesEnv(gym.Env):
    """Random observations and rewards; episodes last exactly ``episode_length`` steps
    (or a seeded random 1..6 steps when None); a trial is ``episodes_per_trial`` episodes."""

    def __init__(self, episode_length: int | None = 3, episodes_per_trial: int = 2) -> None:
        self.observation_space = spaces.Box(-1.0, 1.0, (3,), np.float32)
        self.action_space = spaces.Discrete(3)
        self.episode_length, self.episodes_per_trial = episode_length, episodes_per_trial
        self.episodes_done = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self.episodes_done = 0
        trial_start = self.episodes_done % self.episodes_per_trial == 0
        self.length = self.episode_length or int(self.np_random.integers(1, 7))
        self.t = 0
        return self._obs(), {"trial_start": trial_start}

    def step(self, action):
        self.t += 1
        done = self.t >= self.length
        if done:
            self.episodes_done += 1
        return self._obs(), float(self.np_random.normal()), done, False, {}

    def _obs(self) -> np.ndarray:
        return self.np_random.uniform(-1, 1, 3).astype(np.float32)


def scheduled_vec_env(lengths: tuple[int | None, ...] = (1, 12, None, 1000), seed: int = 0):
    """One env per entry of ``lengths``: with n_steps=12, env 0 ends an episode at every
    step (the first and last of each rollout too), env 1 at each rollout's last step."""
    from stable_baselines3.common.vec_env import DummyVecEnv

    venv = DummyVecEnv([lambda length=length: ScheduledEpisodesEnv(length) for length in lengths])
    venv.seed(seed)
    return venv


class NumberedEpisodesEnv(gym.Env):
    """Episodes of ``length`` steps; the k-th episode to end pays ``sign * k`` at its last step
    (returns 1, 2, 3 ... or their negatives). A reset begins a trial after every
    ``episodes_per_trial`` episodes ended. Frames show the step within the episode (grey 40 * t)."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(
        self,
        length: int = 2,
        sign: float = 1.0,
        episodes_per_trial: int = 1,
        render_mode: str | None = None,
    ) -> None:
        self.observation_space = spaces.Box(0.0, 1.0, (2,), np.float32)
        self.action_space = spaces.Discrete(2)
        self.length, self.sign, self.episodes_per_trial = length, sign, episodes_per_trial
        self.render_mode = render_mode
        self.episodes_ended = self.t = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.t = 0
        trial_start = self.episodes_ended % self.episodes_per_trial == 0
        return self._obs(), {"trial_start": trial_start}

    def step(self, action):
        self.t += 1
        done = self.t >= self.length
        self.episodes_ended += done
        reward = self.sign * self.episodes_ended if done else 0.0
        return self._obs(), reward, done, False, {}

    def render(self) -> np.ndarray:
        return np.full((16, 16, 3), 40 * self.t, np.uint8)

    def _obs(self) -> np.ndarray:
        return np.array([self.t / self.length, 1.0], np.float32)


def numbered_vec_env(n_envs: int = 1, **kwargs: Any):
    """``n_envs`` monitored NumberedEpisodesEnv, each numbering its own episodes."""
    from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

    return VecMonitor(DummyVecEnv([lambda: NumberedEpisodesEnv(**kwargs)] * n_envs))


@pytest.fixture
def vec_env():
    return scheduled_vec_env()


class RandomSpaceEnv(gym.Env):
    """Samples observations from any ``observation_space``; episodes of 5 steps."""

    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space) -> None:
        self.observation_space, self.action_space = observation_space, action_space

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.observation_space.seed(seed)
        self.t = 0
        return self.observation_space.sample(), {}

    def step(self, action):
        self.t += 1
        return self.observation_space.sample(), 1.0, self.t >= 5, False, {}


class TrialCueEnv(gym.Env):
    """A cue shown only at the first step of a trial's first episode must be named at the
    end of every episode of the trial: only memory carried across episodes scores in the
    later episodes (1.0 per episode with it, 0.5 without)."""

    def __init__(self, episodes_per_trial: int = 2) -> None:
        # cue is 0, cue is 1, time to answer
        self.observation_space = spaces.Box(0.0, 1.0, (3,), np.float32)
        self.action_space = spaces.Discrete(2)
        self.episodes_per_trial = episodes_per_trial
        self.episode_in_trial = 0
        self.cue = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self.episode_in_trial = 0
        trial_start = self.episode_in_trial == 0
        if trial_start:
            self.cue = int(self.np_random.integers(2))
        self.answering = False
        obs = np.zeros(3, np.float32)
        if trial_start:
            obs[self.cue] = 1.0
        return obs, {"trial_start": trial_start}

    def step(self, action):
        if not self.answering:
            self.answering = True
            return np.array([0, 0, 1], np.float32), 0.0, False, False, {}
        self.episode_in_trial = (self.episode_in_trial + 1) % self.episodes_per_trial
        return np.zeros(3, np.float32), float(action == self.cue), True, False, {}


def tiny_agent(env, agent_class: type | None = None, **settings: Any):
    """A small seeded recurrent agent on ``env``: 8-step rollouts, 8 LSTM units, one epoch;
    rl_lstm's RecurrentPPO unless ``agent_class`` (a RecurrentPPO of another library) is given."""
    from rl_lstm import RecurrentPPO

    settings = dict(n_steps=8, batch_size=8, n_epochs=1, seed=0, **settings)
    policy_kwargs = {"lstm_hidden_size": 8}
    return (agent_class or RecurrentPPO)(
        "MlpLstmPolicy", env, policy_kwargs=policy_kwargs, **settings
    )


class CreatesAFileWhenUnpickled:
    """Unpickling this creates ``path``: a stand-in for code a foreign checkpoint could run."""

    def __init__(self, path) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))
