"""Wrappers that change what the agent observes: masked observations and the previous action
and reward in the observation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class MaskObservation(gym.ObservationWrapper, gym.utils.RecordConstructorArgs):
    """Keep only some entries of a 1-D Box observation, e.g. drop velocities to make a task
    partially observable.

    :param env: environment with a 1-D ``Box`` observation space
    :param keep: indices of the entries that stay, in the order given
    """

    def __init__(self, env: gym.Env, keep: Sequence[int]) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, keep=keep)
        gym.ObservationWrapper.__init__(self, env)
        space = env.observation_space
        if not isinstance(space, spaces.Box) or len(space.shape) != 1:
            raise ValueError(f"MaskObservation needs a 1-D Box observation space, got {space}")
        size = space.shape[0]
        self.keep = np.asarray(keep, dtype=np.int64)
        if (
            self.keep.ndim != 1
            or len(self.keep) == 0
            or not np.all((self.keep >= 0) & (self.keep < size))
        ):
            raise ValueError(f"keep must be a non-empty list of indices in [0, {size - 1}]")
        self.observation_space = spaces.Box(
            space.low[self.keep], space.high[self.keep], dtype=space.dtype
        )

    def observation(self, observation: np.ndarray) -> np.ndarray:
        return observation[self.keep]


class PrevActionReward(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Add the previous action (one-hot) and reward to the observation: the input of RL² and
    R2D2 agents, which lets a recurrent policy learn from its own past choices.

    The observation becomes ``Dict(observation=<original>, prev_action=Box(0, 1, (n,)),
    prev_reward=Box(-inf, inf, (1,)))``. Both are zero after a reset that begins a trial
    (``info["trial_start"]``, or every reset for an env that does not report it); across the
    episodes of a trial they carry over, so the reward of the last pull reaches the next one.

    :param env: environment with a ``Discrete`` action space
    """

    def __init__(self, env: gym.Env) -> None:
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.Wrapper.__init__(self, env)
        if not isinstance(env.action_space, spaces.Discrete):
            raise ValueError(
                f"PrevActionReward needs a Discrete action space, got {env.action_space}"
            )
        self._num_actions = int(env.action_space.n)
        self._start = int(env.action_space.start)
        self.observation_space = spaces.Dict(
            {
                "observation": env.observation_space,
                "prev_action": spaces.Box(0.0, 1.0, (self._num_actions,), np.float32),
                "prev_reward": spaces.Box(-np.inf, np.inf, (1,), np.float32),
            }
        )
        self._prev_action = np.zeros(self._num_actions, dtype=np.float32)
        self._prev_reward = np.zeros(1, dtype=np.float32)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        observation, info = self.env.reset(seed=seed, options=options)
        if info.get("trial_start", True):
            self._prev_action[:] = 0.0
            self._prev_reward[:] = 0.0
        return self._wrap(observation), info

    def step(self, action: Any) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        observation, reward, terminated, truncated, info = self.env.step(action)
        self._prev_action[:] = 0.0
        self._prev_action[int(action) - self._start] = 1.0
        self._prev_reward[0] = reward
        return self._wrap(observation), reward, terminated, truncated, info

    def _wrap(self, observation: Any) -> dict[str, Any]:
        return {
            "observation": observation,
            "prev_action": self._prev_action.copy(),
            "prev_reward": self._prev_reward.copy(),
        }
