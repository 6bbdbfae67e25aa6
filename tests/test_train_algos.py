"""Tests of how a config becomes a model: class, schedules, policy name, arguments, checkpoints."""

from __future__ import annotations

import base64
import dataclasses
import json
import pickle
import re
import zipfile

import numpy as np
import pytest
import sb3_contrib
import torch
from gymnasium import spaces
from stable_baselines3 import PPO
from stable_baselines3.common.utils import LinearSchedule
from stable_baselines3.common.vec_env import DummyVecEnv

import rl_lstm
from rl_lstm.torch_layers import CombinedExtractor, ImageExtractor
from tests.conftest import CreatesAFileWhenUnpickled, RandomSpaceEnv
from train.algos import (
    algo_class,
    load_model,
    make_model,
    model_kwargs,
    policy_name,
    preset_kwargs,
    schedule,
)
from train.config import ALGOS, TrainConfig
from train.env_factory import make_vec_env
from train.errors import UsageError
from train.presets import preset_for

SMALL = TrainConfig(
    env="MaskedCartPole-v0",
    n_envs=2,
    n_steps=16,
    batch_size=16,
    n_epochs=3,
    lstm_hidden_size=8,
    n_lstm_layers=2,
    net_arch=[12],
    frame_stack=3,
    seed=1,
)


def small(algo: str, **changes) -> TrainConfig:
    return dataclasses.replace(SMALL, algo=algo, **changes)


def env_for(cfg: TrainConfig):
    return make_vec_env(cfg.env, {}, cfg.n_envs, cfg.seed, frame_stack=cfg.stacked_frames)


@pytest.mark.parametrize(
    ("algo", "cls"),
    [
        ("rl_lstm", rl_lstm.RecurrentPPO),
        ("sb3-contrib", sb3_contrib.RecurrentPPO),
        ("ppo", PPO),
        ("ppo-framestack", PPO),
    ],
)
def test_each_algo_name_gives_its_class(algo, cls):
    assert algo_class(algo) is cls


def test_an_unknown_algo_name_is_a_value_error_listing_the_known_ones():
    with pytest.raises(ValueError) as error:
        algo_class("typo")
    assert str(error.value) == (
        "unknown algo 'typo': known algos are rl_lstm, sb3-contrib, ppo, ppo-framestack"
    )


def test_lin_x_decays_linearly_from_x_at_the_start_to_zero_at_the_end():
    decaying = schedule("lin_0.8")
    assert isinstance(decaying, LinearSchedule)
    assert decaying(1.0) == 0.8 and decaying(0.0) == 0.0  # progress remaining: 1 -> 0
    assert decaying(0.5) == pytest.approx(0.4, rel=1e-12)
    assert decaying(0.25) == pytest.approx(0.2, rel=1e-12)


@pytest.mark.parametrize(
    "text", ["fast", "lin_", "lin_x", "0.5", "lin_-1", "lin_0", "lin_nan", "lin_inf", "nan"]
)
def test_a_string_other_than_lin_of_a_positive_finite_number_raises_a_value_error(text):
    expected = f"schedule {text!r} is not a number or lin_<x> with x a positive finite number"
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        schedule(text)


OBSERVATION_SPACES = {
    "Mlp": spaces.Box(-1.0, 1.0, (3,), np.float32),
    "Cnn": spaces.Box(0, 255, (36, 36, 3), np.uint8),
    "MultiInput": spaces.Dict({"a": spaces.Discrete(3), "b": spaces.Box(0.0, 1.0, (2,))}),
}


@pytest.mark.parametrize("algo", ALGOS)
@pytest.mark.parametrize("kind", sorted(OBSERVATION_SPACES))
def test_the_policy_name_follows_the_observation_space_and_is_one_the_algo_knows(algo, kind):
    name = policy_name(TrainConfig(algo=algo), OBSERVATION_SPACES[kind])
    recurrent = algo in ("rl_lstm", "sb3-contrib")
    assert name == f"{kind}{'Lstm' if recurrent else ''}Policy"
    assert name in algo_class(algo).policy_aliases


def test_discrete_observations_take_the_mlp_policy():
    assert policy_name(TrainConfig(), spaces.Discrete(4)) == "MlpLstmPolicy"


def test_model_kwargs_carry_every_ppo_setting_of_the_config():
    cfg = small(
        "ppo",
        learning_rate="lin_1e-3",
        clip_range=0.3,
        clip_range_vf=0.4,
        gamma=0.9,
        gae_lambda=0.7,
        normalize_advantage=False,
        ent_coef=0.02,
        vf_coef=0.6,
        max_grad_norm=0.9,
        target_kl=0.05,
        activation_fn="gelu",
        ortho_init=False,
        device="cpu",
    )
    kwargs = model_kwargs(cfg)
    rate = kwargs.pop("learning_rate")
    assert isinstance(rate, LinearSchedule) and rate(1.0) == 1e-3
    policy_kwargs = kwargs.pop("policy_kwargs")
    assert policy_kwargs == {"net_arch": [12], "activation_fn": torch.nn.GELU, "ortho_init": False}
    assert policy_kwargs["net_arch"] is not cfg.net_arch
    assert kwargs == {
        "n_steps": 16,
        "batch_size": 16,
        "n_epochs": 3,
        "gamma": 0.9,
        "gae_lambda": 0.7,
        "clip_range": 0.3,
        "clip_range_vf": 0.4,
        "normalize_advantage": False,
        "ent_coef": 0.02,
        "vf_coef": 0.6,
        "max_grad_norm": 0.9,
        "target_kl": 0.05,
        "seed": 1,
        "device": "cpu",
    }


@pytest.mark.parametrize("algo", ALGOS)
def test_lstm_settings_go_to_recurrent_algos_and_memory_settings_to_rl_lstm_only(algo):
    cfg = small(algo, shared_lstm=True, enable_critic_lstm=False, seq_len=8, memory="episode")
    kwargs = model_kwargs(cfg)
    lstm = {
        "lstm_hidden_size": 8,
        "n_lstm_layers": 2,
        "shared_lstm": True,
        "enable_critic_lstm": False,
    }
    memory = {"memory": "episode", "seq_len": 8, "refresh_states": False, "trial_returns": True}
    memory["context"] = 0
    if algo in ("rl_lstm", "sb3-contrib"):
        assert lstm.items() <= kwargs["policy_kwargs"].items()
    else:
        assert not lstm.keys() & kwargs["policy_kwargs"].keys()
    if algo == "rl_lstm":
        assert memory.items() <= kwargs.items()
        assert kwargs["policy_kwargs"]["gate_init"] == cfg.gate_init
    else:
        assert not memory.keys() & kwargs.keys()
        assert "gate_init" not in kwargs["policy_kwargs"]


@pytest.mark.parametrize("algo", ALGOS)
def test_make_model_builds_the_algo_with_the_configs_settings(algo):
    cfg = small(algo, gamma=0.95, memory="never" if algo == "rl_lstm" else "episode")
    model = make_model(cfg, env_for(cfg))
    assert type(model) is algo_class(algo)
    assert (model.n_steps, model.batch_size, model.n_epochs, model.gamma) == (16, 16, 3, 0.95)
    stacked = 3 if algo == "ppo-framestack" else 1
    assert model.observation_space.shape == (2 * stacked,)  # cart position and pole angle
    if cfg.recurrent:
        lstm = model.policy.lstm_actor
        assert (lstm.hidden_size, lstm.num_layers) == (8, 2)
    else:
        assert not hasattr(model.policy, "lstm_actor")
    if algo == "rl_lstm":
        assert model.memory.value == "never"


@pytest.mark.parametrize("algo", ["sb3-contrib", "ppo"])
@pytest.mark.parametrize("observation", ["image", "dict"])
def test_images_too_small_for_naturecnn_take_rl_lstms_extractors_in_every_algo(algo, observation):
    image = spaces.Box(0, 255, (3, 7, 7), np.uint8)  # MiniGrid's view, channel-first
    space = image if observation == "image" else spaces.Dict({"d": spaces.Discrete(4), "i": image})
    env = DummyVecEnv([lambda: RandomSpaceEnv(space, spaces.Discrete(3))])
    model = make_model(small(algo, n_envs=1, net_arch=[8]), env)
    extractor = model.policy.features_extractor
    assert type(extractor) is (ImageExtractor if observation == "image" else CombinedExtractor)
    action, _ = model.predict(env.reset(), deterministic=True)
    assert env.action_space.contains(int(action[0]))


@pytest.mark.parametrize("algo", ALGOS)
def test_the_same_config_and_seed_build_the_same_weights(algo):
    def weights(cfg):
        return [p.detach().clone() for p in make_model(cfg, env_for(cfg)).policy.parameters()]

    first, again, other = weights(small(algo)), weights(small(algo)), weights(small(algo, seed=2))
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(first, other, strict=True))


@pytest.mark.parametrize(
    ("algo", "changes"),
    [
        ("rl_lstm", dict(shared_lstm=True, enable_critic_lstm=True)),
        ("sb3-contrib", dict(shared_lstm=True, enable_critic_lstm=True)),
        ("ppo", dict(batch_size=1)),
    ],
)
def test_settings_the_algo_rejects_give_a_usage_error_naming_it(algo, changes):
    cfg = small(algo, **changes)
    with pytest.raises(UsageError, match=f"^{algo} cannot be built with these settings: "):
        make_model(cfg, env_for(cfg))


@pytest.mark.parametrize("algo", ALGOS)
def test_load_model_restores_the_saved_weights_in_the_same_class(tmp_path, algo):
    cfg = small(algo)
    model = make_model(cfg, env_for(cfg))
    model.save(tmp_path / "model.zip")
    loaded = load_model(cfg, tmp_path / "model.zip", env_for(cfg), "cpu")
    assert type(loaded) is type(model)
    saved, restored = model.policy.state_dict(), loaded.policy.state_dict()
    assert saved.keys() == restored.keys()
    assert all(torch.equal(saved[key], restored[key]) for key in saved)


@pytest.mark.parametrize("zipped", [False, True])
@pytest.mark.parametrize("algo", ALGOS)
def test_a_file_that_is_not_a_checkpoint_gives_a_usage_error(tmp_path, algo, zipped):
    path = tmp_path / "latest.zip"
    if zipped:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("notes.txt", "a zip of something else")
    else:
        path.write_text("not a zip file")
    with pytest.raises(UsageError, match=f"^cannot load checkpoint {path}: "):
        load_model(small(algo), path, None, "cpu")


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict:
    """A checkpoint saved by each algorithm."""
    folder = tmp_path_factory.mktemp("checkpoints")
    for algo in ALGOS:
        cfg = small(algo)
        make_model(cfg, env_for(cfg)).save(folder / f"{algo}.zip")
    return {algo: folder / f"{algo}.zip" for algo in ALGOS}


SAVED_BY = {
    "rl_lstm": "rl_lstm",
    "sb3-contrib": "sb3-contrib",
    "ppo": "ppo or ppo-framestack",
    "ppo-framestack": "ppo or ppo-framestack",
}


@pytest.mark.parametrize("saved", ALGOS)
@pytest.mark.parametrize("loaded", ALGOS)
def test_a_checkpoint_of_another_algorithm_gives_a_usage_error_naming_both(
    checkpoints, saved, loaded
):
    path = checkpoints[saved]
    if algo_class(saved) is algo_class(loaded):
        assert type(load_model(small(loaded), path, None, "cpu")) is algo_class(saved)
        return
    expected = f"cannot load checkpoint {path} as {loaded}: it was saved by {SAVED_BY[saved]}"
    with pytest.raises(UsageError, match=f"^{re.escape(expected)}$"):
        load_model(small(loaded), path, None, "cpu")


def test_a_checkpoint_of_another_algorithm_is_refused_before_anything_in_it_is_unpickled(
    tmp_path,
):
    mark = tmp_path / "unpickled"
    payload = base64.b64encode(pickle.dumps(CreatesAFileWhenUnpickled(mark))).decode()
    data = {
        "policy_class": {
            ":serialized:": payload,
            "__module__": "sb3_contrib.common.recurrent.policies",
        }
    }
    path = tmp_path / "latest.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data", json.dumps(data))
    with pytest.raises(UsageError, match="as ppo: it was saved by sb3-contrib"):
        load_model(small("ppo"), path, None, "cpu")
    assert not mark.exists()


def test_preset_kwargs_build_from_python_the_model_the_command_line_builds(tmp_path):
    kwargs = preset_kwargs("TMaze-v0", seed=3)
    model = rl_lstm.RecurrentPPO("MlpLstmPolicy", "TMaze-v0", **kwargs)
    cfg = TrainConfig(env="TMaze-v0", seed=3, **dataclasses.asdict(preset_for("TMaze-v0")))
    from_cli = make_model(cfg, make_vec_env("TMaze-v0", {}, cfg.n_envs, cfg.seed))
    assert (model.n_envs, model.n_steps, model.batch_size) == (8, 64, 256)
    assert model.policy.lstm_actor.hidden_size == 32 and model.ent_coef == 0.01
    for ours, theirs in zip(model.policy.parameters(), from_cli.policy.parameters(), strict=True):
        assert torch.equal(ours, theirs)


def test_preset_kwargs_take_changes_and_refuse_unknown_fields():
    assert preset_kwargs("TMaze-v0", lstm_hidden_size=8)["policy_kwargs"]["lstm_hidden_size"] == 8
    assert "memory" not in preset_kwargs("TMaze-v0", algo="sb3-contrib")
    with pytest.raises(TypeError, match=r"unknown settings \['lstm_size'\]"):
        preset_kwargs("TMaze-v0", lstm_size=8)


def test_the_gate_initialisation_reaches_rl_lstms_lstms():
    cfg = small("rl_lstm", gate_init="forget:3")
    lstm = make_model(cfg, env_for(cfg)).policy.lstm_actor
    units = lstm.hidden_size
    forget = (lstm.bias_ih_l1 + lstm.bias_hh_l1)[units : 2 * units]  # the top of 2 layers
    assert torch.equal(forget, torch.full((units,), 3.0))
