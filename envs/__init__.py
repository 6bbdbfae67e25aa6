"""Partially observable tasks for recurrent agents; ``import envs`` registers them with Gymnasium.

Every task's docstring says what a memoryless policy and what perfect memory score on it (the
README's "Tasks" section lists them all). Tasks whose episode length depends on their
parameters (TMaze's and MemoryChain's ``length``, MemoryMaze's ``episode_steps``,
Concentration's deck) end their episodes themselves, so ``gym.make(id, length=500)`` needs no
``max_episode_steps``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from envs.concentration import ConcentrationEnv
from envs.count_recall import CountRecallEnv
from envs.masked_control import masked_cartpole, masked_pendulum
from envs.memory_chain import MemoryChainEnv
from envs.memory_maze import MemoryMazeEnv
from envs.repeat_previous import RepeatPreviousEnv
from envs.simon import SimonEnv
from envs.tmaze import TMazeEnv
from envs.trial_bandit import TrialBanditEnv
from envs.wrappers import MaskObservation, PrevActionReward

__all__ = [
    "TASKS",
    "ConcentrationEnv",
    "CountRecallEnv",
    "MaskObservation",
    "MemoryChainEnv",
    "MemoryMazeEnv",
    "PrevActionReward",
    "RepeatPreviousEnv",
    "SimonEnv",
    "TMazeEnv",
    "TrialBanditEnv",
    "masked_cartpole",
    "masked_pendulum",
]

# id -> (entry point, keyword arguments, max_episode_steps or None when the env ends episodes)
TASKS: dict[str, tuple[str, dict[str, Any], int | None]] = {
    "TMaze-v0": ("envs.tmaze:TMazeEnv", {"length": 10}, None),
    # The long corridors charge for lagging: a random walk would never reach their junction.
    "TMaze-Long-v0": ("envs.tmaze:TMazeEnv", {"length": 100, "lag_penalty": True}, None),
    "TMaze-VeryLong-v0": ("envs.tmaze:TMazeEnv", {"length": 1000, "lag_penalty": True}, None),
    "TMaze-Passive-v0": ("envs.tmaze:TMazeEnv", {"length": 100, "passive": True}, None),
    "MemoryChain-v0": ("envs.memory_chain:MemoryChainEnv", {"length": 30}, None),
    **{
        f"MemoryMaze-{size}x{size}-v0": (
            "envs.memory_maze:MemoryMazeEnv",
            {"size": size, "num_targets": targets},
            None,
        )
        for size, targets in ((9, 3), (11, 4), (13, 5), (15, 6))
    },
    **{
        f"Concentration-{rows}x{cols}-v0": (
            "envs.concentration:ConcentrationEnv",
            {"rows": rows, "cols": cols},
            None,
        )
        for rows, cols in ((3, 4), (4, 4), (6, 6))
    },
    "RepeatPrevious-Easy-v0": (
        "envs.repeat_previous:RepeatPreviousEnv",
        {"num_symbols": 4, "delay": 4, "length": 52},
        None,
    ),
    "RepeatPrevious-Hard-v0": (
        "envs.repeat_previous:RepeatPreviousEnv",
        {"num_symbols": 4, "delay": 32, "length": 104},
        None,
    ),
    "CountRecall-Easy-v0": ("envs.count_recall:CountRecallEnv", {"copies": 4}, None),
    "CountRecall-Hard-v0": ("envs.count_recall:CountRecallEnv", {"copies": 13}, None),
    "Simon-Easy-v0": ("envs.simon:SimonEnv", {"num_colors": 4, "rounds": 4}, None),
    "Simon-Hard-v0": ("envs.simon:SimonEnv", {"num_colors": 4, "rounds": 10}, None),
    "MaskedCartPole-v0": ("envs.masked_control:masked_cartpole", {}, 500),
    "MaskedPendulum-v0": ("envs.masked_control:masked_pendulum", {}, 200),
    "TrialBandit-5arm-v0": (
        "envs.trial_bandit:TrialBanditEnv",
        {"num_arms": 5, "episodes_per_trial": 10},
        None,
    ),
}

for _env_id, (_entry_point, _kwargs, _max_steps) in TASKS.items():
    gym.register(_env_id, entry_point=_entry_point, kwargs=_kwargs, max_episode_steps=_max_steps)
