"""Generalized advantage estimation with explicit return boundaries."""

from __future__ import annotations

import numpy as np


def compute_gae(
    rewards: np.ndarray,
    values: np.ndarray,
    last_values: np.ndarray,
    return_ends: np.ndarray,
    gamma: float,
    gae_lambda: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Advantages and returns for a [n_steps, n_envs] rollout.

    ``return_ends[t]`` marks a step after which nothing is bootstrapped: an episode end,
    or in trial mode only a trial end, so returns run across the episodes of a trial.
    ``last_values`` are the values of the observations that follow the rollout. NumPy,
    because the loop over steps is many tiny operations.
    """
    advantages = np.zeros_like(values)
    continues = 1.0 - return_ends.astype(values.dtype)
    next_values, next_advantage = last_values, np.zeros_like(last_values)
    for step in reversed(range(len(rewards))):
        delta = rewards[step] + gamma * next_values * continues[step] - values[step]
        next_advantage = delta + gamma * gae_lambda * continues[step] * next_advantage
        advantages[step] = next_advantage
        next_values = values[step]
    return advantages, advantages + values
