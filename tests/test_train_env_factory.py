"""Tests of env id resolution, observation space conversion and vectorised env building."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.envs.registration import EnvSpec
from stable_baselines3.common.vec_env import (
    VecFrameStack,
    VecNormalize,
    VecTransposeImage,
    sync_envs_normalization,
)

from tests.conftest import RandomSpaceEnv
from train.algos import make_model
from train.config import TrainConfig
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
    assert env_options(resolve_env_id("TMaze-Long-v0")) == {
        "length": 100,
        "passive": False,
        "lag_penalty": True,
    }
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
    assert "'mission' (Text)" in conversion_notice(env.observation_space)
    converted = to_sb3_spaces(env)
    assert list(converted.observation_space.spaces) == ["image"]
    assert conversion_notice(spaces.Box(0, 1, (3,))) is None


class Mission(spaces.Space):
    """A space of its own kind (as MiniGrid's MissionSpace), which no policy can read."""

    def sample(self, mask=None, probability=None):
        return "go to the door"

    def contains(self, x):
        return isinstance(x, str)


def test_dict_entries_of_any_unreadable_kind_are_dropped_with_a_notice_naming_them():
    space = spaces.Dict(
        {
            "direction": spaces.Discrete(4),
            "mission": Mission(),
            "history": spaces.Sequence(spaces.Discrete(2)),
            "pair": spaces.Tuple((spaces.Discrete(2), spaces.Text(5))),
        }
    )
    env = RandomSpaceEnv(space, spaces.Discrete(2))
    notice = conversion_notice(env.observation_space)
    assert notice == (
        "observation entries 'history' (Sequence), 'mission' (Mission), 'pair' (Tuple) "
        "cannot be read by a policy: dropped"
    )
    converted = to_sb3_spaces(env)
    assert converted.observation_space == spaces.Dict({"direction": spaces.Discrete(4)})
    assert converted.observation_space.contains(converted.reset(seed=0)[0])
    check_spaces(converted)


@pytest.mark.parametrize(
    "space",
    [
        spaces.Dict({"mission": Mission(), "text": spaces.Text(5)}),
        spaces.Tuple((spaces.Discrete(2), spaces.Text(5))),
        spaces.Text(5),
    ],
)
def test_an_observation_with_nothing_readable_left_is_refused(space):
    env = to_sb3_spaces(RandomSpaceEnv(space, spaces.Discrete(2)))
    assert env.observation_space is space
    with pytest.raises(UsageError, match=r"observation space .* is not supported"):
        check_spaces(env)


def test_for_frame_stacking_discrete_observations_become_one_hot_boxes():
    space = spaces.Dict({"cue": spaces.Discrete(3), "count": spaces.MultiDiscrete([2, 4])})
    env = RandomSpaceEnv(space, spaces.Discrete(2))
    assert conversion_notice(space) is None
    assert conversion_notice(space, stacking=True) == (
        "observation space Dict is flattened to a Box to stack frames (discrete entries one-hot)"
    )
    assert to_sb3_spaces(env) is env
    stacked = to_sb3_spaces(env, stacking=True)
    assert stacked.observation_space == spaces.Box(0, 1, (9,), np.int64)
    observation = stacked.reset(seed=0)[0]
    assert observation.sum() == 3 and set(np.unique(observation)) <= {0, 1}
    boxes = spaces.Dict({"a": spaces.Box(0, 1, (2,)), "b": spaces.Box(0, 1, (3, 4))})
    assert conversion_notice(boxes, stacking=True) is None


def test_frame_stacking_works_on_a_task_with_discrete_observations():
    env = make_vec_env("TMaze-v0", {}, 2, seed=0, frame_stack=3)
    assert env.observation_space.shape == (12,)
    observations = env.reset()
    assert (observations[:, -4:].sum(axis=1) == 1).all()  # the newest frame, one-hot
    env.close()


class NoRenderMode(gym.Env):
    """A constructor without a render_mode argument, as popgym's."""

    observation_space = spaces.Discrete(2)
    action_space = spaces.Discrete(2)

    def __init__(self, size: int = 2) -> None:
        self.size = size

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return 0, {}

    def step(self, action):
        return 1, 1.0, True, False, {}


gym.register("NoRenderMode-v0", entry_point=f"{__name__}:NoRenderMode")


def test_an_env_whose_constructor_takes_no_render_mode_is_made():
    env = make_vec_env("NoRenderMode-v0", {"size": 3}, 2, seed=0)
    assert env.reset().tolist() == [0, 0]
    assert env.get_attr("size") == [3, 3]
    env.close()


class SmallImages(RandomSpaceEnv):
    """Channel-last uint8 images beside a direction, as MiniGrid's observations."""

    def __init__(self) -> None:
        image = spaces.Box(0, 255, (7, 7, 3), np.uint8)
        super().__init__(
            spaces.Dict({"direction": spaces.Discrete(4), "image": image}), spaces.Discrete(3)
        )


gym.register("SmallImages-v0", entry_point=f"{__name__}:SmallImages", max_episode_steps=5)


def test_channel_last_images_are_made_channel_first_in_training_and_evaluation_envs_alike():
    train_env = make_vec_env("SmallImages-v0", {}, 2, seed=0)
    eval_env = make_vec_env("SmallImages-v0", {}, 1, seed=1, training=False)
    for env in (train_env, eval_env):
        assert isinstance(env, VecTransposeImage)
        assert env.observation_space["image"].shape == (3, 7, 7)
        assert env.reset()["image"].shape == (env.num_envs, 3, 7, 7)
    sync_envs_normalization(train_env, eval_env)  # needs the same wrappers on both
    # The algorithms take the env as it is, without wrapping the training env alone.
    cfg = TrainConfig(env="SmallImages-v0", algo="ppo", n_envs=2, n_steps=8, batch_size=8)
    assert make_model(cfg, train_env).get_env() is train_env
    train_env.close()
    eval_env.close()


gym.register("NeedsAPackage-v0", entry_point="no_such_package_for_rl_lstm.envs:Task")


def test_an_env_whose_package_is_not_installed_is_a_one_line_usage_error():
    with pytest.raises(UsageError) as error:
        resolve_env_id("NeedsAPackage-v0")
    assert str(error.value) == (
        "env 'NeedsAPackage-v0' needs a package that is not installed: "
        "No module named 'no_such_package_for_rl_lstm'"
    )


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
    with pytest.raises(
        UsageError,
        match=r"action space Sequence.* supported: Discrete, MultiDiscrete, MultiBinary, Box",
    ):
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
        "length": "cells from the cue to the junction: how long the cue must be remembered",
        "passive": "the passive T-maze of Ni et al. (2023): fixed length, penalties for lagging",
        "lag_penalty": "charge 1/length for each step behind the direct walk (exploration aid)",
    }
    spec = EnvSpec("GoogleStyle-v0", entry_point=GoogleStyleEnv)
    described = {"size": "cells on a side", "noisy": "whether observations are noisy"}
    assert option_help(spec) == described
    assert option_help(EnvSpec("Plain-v0", entry_point=lambda: None)) == {}
