import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs

MASKED_CONTROL = {"MaskedCartPole-v0", "MaskedPendulum-v0"}
OWN_TASKS = sorted(set(envs.TASKS) - MASKED_CONTROL)


def rollout(env, seed, steps=300):
    """Observations and rewards of a fixed action sequence, resets included."""
    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(steps)]
    observation, _ = env.reset(seed=seed)
    trace = [observation]
    for action in actions:
        observation, reward, terminated, truncated, _ = env.step(action)
        trace += [observation, reward]
        if terminated or truncated:
            trace.append(env.reset()[0])
    return trace


def as_arrays(trace):
    """Dict observations as one array, so traces compare with ``np.array_equal``."""
    return [
        np.concatenate([np.ravel(v) for v in x.values()]) if isinstance(x, dict) else x
        for x in trace
    ]


@pytest.mark.parametrize("env_id", OWN_TASKS)
def test_check_env_passes_without_warnings(env_id):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(gym.make(env_id).unwrapped, skip_render_check=True)


@pytest.mark.parametrize("env_id", sorted(MASKED_CONTROL))
def test_check_env_passes_on_masked_control(env_id):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the mask is a wrapper; Pendulum's torque range
        check_env(gym.make(env_id), skip_render_check=True)


@pytest.mark.parametrize("env_id", sorted(envs.TASKS))
def test_same_seed_same_episodes(env_id):
    first, second = rollout(gym.make(env_id), seed=7), rollout(gym.make(env_id), seed=7)
    other = rollout(gym.make(env_id), seed=8)
    first, second, other = as_arrays(first), as_arrays(second), as_arrays(other)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=False))


@pytest.mark.parametrize("env_id", OWN_TASKS)
def test_renders_a_readable_picture_and_text(env_id):
    env = gym.make(env_id, render_mode="rgb_array")
    assert env.metadata["render_fps"] > 0
    env.reset(seed=0)
    for _ in range(3):
        env.step(env.action_space.sample())
        image = env.render()
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        assert (
            min(image.shape[:2]) >= 96
            and len(np.unique(image.reshape(-1, 3) @ [65536, 256, 1])) >= 3
        )
    text = gym.make(env_id, render_mode="ansi")
    text.reset(seed=0)
    assert isinstance(text.render(), str)


@pytest.mark.parametrize("env_id", OWN_TASKS)
def test_reset_info_tells_trial_starts(env_id):
    env = gym.make(env_id)
    _, info = env.reset(seed=0)
    assert info["trial_start"] is True


def test_envs_imports_only_gymnasium_and_numpy():
    code = (
        "import sys, envs; "
        "bad = [m for m in ('torch', 'rl_lstm', 'train', 'stable_baselines3') "
        "if m in sys.modules]; "
        "sys.exit(str(bad) if bad else 0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
