"""Generalized advantage estimation with explicit return boundaries."""

from __future__ import annotations

import torch as th


def compute_gae(
    rewards: th.Tensor,
    values: th.Tensor,
    last_values: th.Tensor,
    return_ends: th.Tensor,
    gamma: float,
    gae_lambda: float,
) -> tuple[th.Tensor, th.Tensor]:
    """Advantages and returns for a [n_steps, n_envs] rollout.

    ``return_ends[t]`` marks a step after which nothing is bootstrapped: an episode end,
    or in trial mode only a trial end, so returns run across the episodes of a trial.
    ``last_values`` are the values of the observations that follow the rollout.
    """
    n_steps = rewards.shape[0]
    advantages = th.empty_like(values)
    continues = 1.0 - return_ends.to(values.dtype)
    next_values = last_values
    next_advantage = th.zeros_like(last_values)
    for step in reversed(range(n_steps)):
        delta = rewards[step] + gamma * next_values * continues[step] - values[step]
        next_advantage = delta + gamma * gae_lambda * continues[step] * next_advantage
        advantages[step] = next_advantage
        next_values = values[step]
    return advantages, advantages + values
