"""Score scripted policies on a task: how the memoryless and perfect-memory scores are measured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import gymnasium as gym


@dataclass(frozen=True)
class ReferenceScores:
    """What a task's scripted policies score (mean episode return; TrialBandit: total over a
    trial): the memoryless floor a memory agent must beat, and perfect memory."""

    memoryless: float
    perfect: float
    floor: str = "memoryless"  # which policy the floor is, where not the best memoryless one

    def normalise(self, value: float) -> float:
        """Where ``value`` lies from the floor (0) to perfect memory (1)."""
        return (value - self.memoryless) / (self.perfect - self.memoryless)


# The scores each task's docstring gives (and the tests check), by registered id.
REFERENCE_SCORES: dict[str, ReferenceScores] = {
    "TMaze-v0": ReferenceScores(0.5, 1.0),
    "TMaze-Long-v0": ReferenceScores(0.5, 1.0),
    "TMaze-VeryLong-v0": ReferenceScores(0.5, 1.0),
    "TMaze-Passive-v0": ReferenceScores(0.5, 1.0),
    "MemoryChain-v0": ReferenceScores(0.0, 1.0),
    "MemoryMaze-9x9-v0": ReferenceScores(6.3, 37.5, "memoryless; perfect: map oracle"),
    "MemoryMaze-11x11-v0": ReferenceScores(2.0, 33.8, "memoryless; perfect: map oracle"),
    "MemoryMaze-13x13-v0": ReferenceScores(1.3, 31.1, "memoryless; perfect: map oracle"),
    "MemoryMaze-15x15-v0": ReferenceScores(0.9, 31.0, "memoryless; perfect: map oracle"),
    "Concentration-3x4-v0": ReferenceScores(0.213, 1.0),
    "Concentration-4x4-v0": ReferenceScores(0.147, 1.0),
    "Concentration-6x6-v0": ReferenceScores(0.059, 1.0),
    "RepeatPrevious-Easy-v0": ReferenceScores(0.25, 1.0),
    "RepeatPrevious-Hard-v0": ReferenceScores(0.25, 1.0),
    "CountRecall-Easy-v0": ReferenceScores(0.212, 1.0),
    "CountRecall-Hard-v0": ReferenceScores(0.073, 1.0),
    "Simon-Easy-v0": ReferenceScores(0.033, 1.0),
    "Simon-Hard-v0": ReferenceScores(0.0061, 1.0),
    "MaskedCartPole-v0": ReferenceScores(42.0, 500.0),
    "MaskedPendulum-v0": ReferenceScores(-1210.0, -145.0, "random; perfect: swing-up controller"),
    "TrialBandit-5arm-v0": ReferenceScores(6.3, 6.66, "win-stay lose-shift; perfect: Bayes"),
}


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
