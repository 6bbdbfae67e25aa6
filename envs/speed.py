"""Random-policy steps per second of every registered task, single env, as ``gym.make`` builds it.

Run ``python -m envs.speed`` (or ``python -m envs.speed TMaze-v0 --steps 50000``).
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym

import envs


def random_policy_speed(env_id: str, steps: int = 20_000, seed: int = 0) -> float:
    """Steps per second of uniformly random actions, resets included (actions drawn up front)."""
    env = gym.make(env_id)
    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(steps)]
    env.reset(seed=seed)
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    elapsed = time.perf_counter() - start
    env.close()
    return steps / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env_ids", nargs="*", default=list(envs.TASKS), help="ids to measure")
    parser.add_argument("--steps", type=int, default=20_000, help="steps per task")
    args = parser.parse_args()
    width = max(len(env_id) for env_id in args.env_ids)
    for env_id in args.env_ids:
        print(f"{env_id:<{width}}  {random_policy_speed(env_id, args.steps):>9,.0f} steps/s")


if __name__ == "__main__":
    main()
