"""Classic control tasks with their velocities hidden: the agent must infer them over time."""

from __future__ import annotations

import gymnasium as gym
from gymnasium.envs.classic_control import CartPoleEnv, PendulumEnv

from envs.wrappers import MaskObservation

CARTPOLE_KEEP = (0, 2)  # cart position, pole angle
PENDULUM_KEEP = (0, 1)  # cos and sin of the angle


def masked_cartpole(render_mode: str | None = None) -> gym.Env:
    """CartPole-v1 seeing only cart position and pole angle (rl-zoo3's CartPoleNoVel-v1 zeroes
    the two velocities instead of dropping them: the same information).

    - Observation: ``Box((2,), float32)``: cart position, pole angle.
    - Action: ``Discrete(2)``: push left, push right. Reward: +1 per step balanced.
    - Episode end: pole past 12 degrees or cart off the track; truncated after 500 steps.
    - Scores: random 22; a memoryless policy pushing towards the side the pole leans to 42;
      a linear controller on velocities estimated from two frames (memory) 500.
    """
    return MaskObservation(CartPoleEnv(render_mode=render_mode), keep=CARTPOLE_KEEP)


def masked_pendulum(render_mode: str | None = None) -> gym.Env:
    """Pendulum-v1 without its angular velocity.

    - Observation: ``Box((2,), float32)``: cos and sin of the angle.
    - Action: ``Box(-2, 2, (1,))``: torque. Reward: ``-(angle² + 0.1 velocity² + 0.001 torque²)``.
    - Episode end: truncated after 200 steps.
    - Scores: random -1210, no torque -1240; a swing-up controller on the velocity estimated
      from two frames (memory) -145.
    """
    return MaskObservation(PendulumEnv(render_mode=render_mode), keep=PENDULUM_KEEP)
