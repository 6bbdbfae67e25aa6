import importlib.util

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the tasks)
from envs.scoring import RandomPolicy, mean_episode_return

CARTPOLE_DT, PENDULUM_DT = 0.02, 0.05


class CartPoleTwoFrames:
    """Estimates the velocities from the last two observations and balances with a linear
    controller: what memory of one step buys."""

    def reset(self, observation, info):
        self.previous = observation.copy()

    def __call__(self, observation):
        x_dot, theta_dot = (observation - self.previous) / CARTPOLE_DT
        self.previous = observation.copy()
        x, theta = observation
        return int(10 * theta + 2 * theta_dot + 0.1 * x + 0.5 * x_dot > 0)


class PushTowardsLean:
    """Memoryless: push the cart to the side the pole leans to."""

    def reset(self, observation, info):
        pass

    def __call__(self, observation):
        return int(observation[1] > 0)


class PendulumTwoFrames:
    """Energy-pumping swing-up, then a PD controller at the top, on the angular velocity
    estimated from the last two angles."""

    def reset(self, observation, info):
        self.previous = None

    def __call__(self, observation):
        angle = np.arctan2(observation[1], observation[0])
        if self.previous is None:
            velocity = 0.0
        else:
            velocity = np.angle(np.exp(1j * (angle - self.previous))) / PENDULUM_DT
        self.previous = angle
        if np.cos(angle) > 0.85:
            torque = -12 * angle - 2.5 * velocity
        else:
            energy = 0.5 * velocity**2 + 15 * np.cos(angle)  # 15 when still at the top
            torque = 2.0 * np.sign(velocity or 1.0) * np.sign(15 - energy)
        return np.array([np.clip(torque, -2.0, 2.0)], dtype=np.float32)


def test_masked_cartpole_is_cartpole_without_velocities():
    masked, full = gym.make("MaskedCartPole-v0"), gym.make("CartPole-v1")
    assert masked.spec.max_episode_steps == 500 and masked.observation_space.shape == (2,)
    observation, _ = masked.reset(seed=3)
    state, _ = full.reset(seed=3)
    for action in [0, 1, 1, 0, 1]:
        np.testing.assert_array_equal(observation, state[[0, 2]])
        observation, *_ = masked.step(action)
        state, *_ = full.step(action)


def test_masked_pendulum_is_pendulum_without_velocity():
    masked, full = gym.make("MaskedPendulum-v0"), gym.make("Pendulum-v1")
    assert masked.spec.max_episode_steps == 200 and masked.observation_space.shape == (2,)
    observation, _ = masked.reset(seed=3)
    state, _ = full.reset(seed=3)
    np.testing.assert_array_equal(observation, state[:2])


def test_cartpole_scores():
    env = gym.make("MaskedCartPole-v0")
    assert mean_episode_return(env, CartPoleTwoFrames(), episodes=20) == 500.0
    assert mean_episode_return(env, PushTowardsLean(), episodes=200) == pytest.approx(42, abs=4)
    random_score = mean_episode_return(env, RandomPolicy(env.action_space), episodes=300)
    assert random_score == pytest.approx(22, abs=3)


def test_pendulum_scores():
    env = gym.make("MaskedPendulum-v0")
    assert mean_episode_return(env, PendulumTwoFrames(), episodes=40) == pytest.approx(-155, abs=40)
    random_score = mean_episode_return(env, RandomPolicy(env.action_space), episodes=60)
    assert random_score == pytest.approx(-1210, abs=100)


@pytest.mark.skipif(importlib.util.find_spec("pygame") is None, reason="needs pygame")
@pytest.mark.parametrize("env_id", ["MaskedCartPole-v0", "MaskedPendulum-v0"])
def test_render(env_id):
    env = gym.make(env_id, render_mode="rgb_array")
    env.reset(seed=0)
    image = env.render()
    assert image.dtype == np.uint8 and image.ndim == 3 and min(image.shape[:2]) >= 96
