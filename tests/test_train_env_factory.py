"""Tests of env id resolution, observation space conversion and vectorised env building."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.envs.registration import EnvSpec
from stable_baselines3.common.vec_env import VecFrameStack, VecNormalize

from train.env_factory import (
    check_spaces,
    conversion_notice,
    env_options,
    make_vec_env,
    option_help,
    resolve_env_id,
    to_sb3_spaces,
)
from train.errors import UsageError


class TupleAndText(gym.Env):
    """Observations SB3 cannot take: a Tuple, or a Dict holding text."""

    action_space = spaces.Discrete(2)

    def __init__(self, text: bool = False, size: int = 3) -> None:
        if text:
            self.observation_space = spaces.Dict(
                {"image": spaces.Box(0, 1, (size,)), "mission": spaces.Text(20)}
            )
        else:
            self.observation_space = spaces.Tuple((spaces.Discrete(size), spaces.Box(0, 1, (2,))))

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self.observation_space.sample(), {}

    def step(self, action):
        return self.observation_space.sample(), 0.0, False, False, {}


def test_resolve_known_ids_and_explain_unknown_ones():
    assert resolve_env_id("TMaze-v0").id == "TMaze-v0"
    assert resolve_env_id("gymnasium.envs.classic_control:CartPole-v1").id == "CartPole-v1"
    with pytest.raises(UsageError, match="close matches: TMaze-v0") as error:
        resolve_env_id("tmaze-v1")
    assert "module:Id" in str(error.value)


def test_env_options_are_the_constructor_arguments_as_registered():
    assert env_options(resolve_env_id("TMaze-Long-v0")) == {"length": 100}
    assert env_options(resolve_env_id("TrialBandit-5arm-v0")) == {
        "num_arms": 5,
        "episodes_per_trial": 10,
    }


def test_tuple_observations_are_flattened_with_a_notice():
    env = TupleAndText()
    assert "flattened" in conversion_notice(env.observation_space)
    converted = to_sb3_spaces(env)
    assert isinstance(converted.observation_space, spaces.Box)
    assert converted.observation_space.shape == (5,)
    assert converted.reset()[0].shape == (5,)


def test_text_in_dict_observations_is_dropped_with_a_notice():
    env = TupleAndText(text=True)
    assert "['mission']" in conversion_notice(env.observation_space)
    converted = to_sb3_spaces(env)
    assert list(converted.observation_space.spaces) == ["image"]
    assert conversion_notice(spaces.Box(0, 1, (3,))) is None


def test_vec_env_wrappers_follow_the_settings():
    env = make_vec_env("MaskedCartPole-v0", {}, 2, seed=0, normalize=True, frame_stack=3)
    assert isinstance(env, VecFrameStack) and isinstance(env.venv, VecNormalize)
    assert env.observation_space.shape == (6,)
    observations = env.reset()
    assert observations.shape == (2, 6) and np.isfinite(observations).all()
    env.close()


def test_unsupported_spaces_are_named_with_what_is_supported():
    env = TupleAndText()
    env.action_space = spaces.Sequence(spaces.Discrete(2))
    with pytest.raises(UsageError, match=r"action space Sequence.* supported: Box, Discrete"):
        check_spaces(to_sb3_spaces(env))


class GoogleStyleEnv(gym.Env):
    """A task documented Google-style.

    Args:
        size (int): cells on a side
        noisy: whether observations are noisy
    """

    def __init__(self, size: int = 3, noisy: bool = False) -> None:
        """Unused here."""


def test_option_help_reads_sphinx_params_and_google_args():
    assert option_help(gym.spec("TMaze-v0")) == {
        "length": "cells from the cue to the junction: how long the cue must be remembered"
    }
    spec = EnvSpec("GoogleStyle-v0", entry_point=GoogleStyleEnv)
    described = {"size": "cells on a side", "noisy": "whether observations are noisy"}
    assert option_help(spec) == described
    assert option_help(EnvSpec("Plain-v0", entry_point=lambda: None)) == {}
