"""Score scripted policies on a task: how the memoryless and perfect-memory scores are measured."""

from __future__ import annotations

from typing import Any, Protocol

import gymnasium as gym


class ScriptedPolicy(Protocol):
    """A hand-written policy; ``reset`` is called after every env reset, so it can forget or
    keep what it remembers (``info["trial_start"]`` tells a new trial)."""

    def reset(self, observation: Any, info: dict[str, Any]) -> None: ...

    def __call__(self, observation: Any) -> Any: ...


def mean_episode_return(
    env: gym.Env, policy: ScriptedPolicy, episodes: int, seed: int = 0
) -> float:
    """Average undiscounted return over ``episodes`` consecutive episodes; only the first reset
    is seeded, so the episodes of a trial follow one another as in training."""
    total = 0.0
    observation, info = env.reset(seed=seed)
    policy.reset(observation, info)
    for episode in range(episodes):
        done = False
        while not done:
            observation, reward, terminated, truncated, _ = env.step(policy(observation))
            total += float(reward)
            done = terminated or truncated
        if episode + 1 < episodes:
            observation, info = env.reset()
            policy.reset(observation, info)
    return total / episodes


class RandomPolicy:
    """Uniformly random actions: the floor every task's scores are compared with."""

    def __init__(self, action_space: gym.Space, seed: int = 0) -> None:
        self.action_space = action_space
        self.action_space.seed(seed)

    def reset(self, observation: Any, info: dict[str, Any]) -> None:
        pass

    def __call__(self, observation: Any) -> Any:
        return self.action_space.sample()
