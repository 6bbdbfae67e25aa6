"""Tests of the run config: its JSON round trip, derived settings and what may change on resume."""

from __future__ import annotations

import dataclasses
import json

import pytest

from train.config import ALGOS, RESUMABLE_FIELDS, TrainConfig

# A config in which every kind of value differs from the defaults: dict, list, None, lin_ string.
CUSTOM = TrainConfig(
    env="TMaze-Long-v0",
    env_kwargs={"length": 37},
    algo="sb3-contrib",
    exp_name="ablation",
    seed=5,
    n_steps=48,
    learning_rate="lin_7e-4",
    clip_range=0.15,
    clip_range_vf=0.3,
    target_kl=0.02,
    net_arch=[32, 16],
    activation_fn="relu",
    ortho_init=False,
    seq_len=16,
    normalize=True,
    track=True,
    wandb_entity="team",
    wandb_tags=["a", "b"],
    wandb_run_id="abc123",
)


def test_save_then_load_gives_back_an_equal_config(tmp_path):
    path = tmp_path / "config.json"
    CUSTOM.save(path)
    loaded = TrainConfig.load(path)
    assert type(loaded) is TrainConfig
    assert loaded == CUSTOM
    assert loaded != TrainConfig()


def test_the_saved_file_is_indented_json_of_every_field(tmp_path):
    path = tmp_path / "config.json"
    CUSTOM.save(path)
    text = path.read_text()
    assert json.loads(text) == dataclasses.asdict(CUSTOM)
    assert list(json.loads(text)) == [f.name for f in dataclasses.fields(TrainConfig)]
    assert text.startswith('{\n  "') and text.endswith("}\n")


def test_load_ignores_unknown_keys_and_gives_missing_ones_their_defaults(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"env": "TMaze-v0", "seed": 4, "removed_setting": 1}))
    assert TrainConfig.load(path) == TrainConfig(env="TMaze-v0", seed=4)


@pytest.mark.parametrize("algo", ALGOS)
def test_only_the_lstm_algorithms_are_recurrent(algo):
    assert TrainConfig(algo=algo).recurrent is (algo in ("rl_lstm", "sb3-contrib"))


@pytest.mark.parametrize("algo", ALGOS)
def test_only_ppo_framestack_stacks_frames_and_it_stacks_frame_stack_of_them(algo):
    stacked = TrainConfig(algo=algo, frame_stack=3).stacked_frames
    assert stacked == (3 if algo == "ppo-framestack" else 0)


def test_the_group_is_env_algo_and_experiment_unless_a_wandb_group_is_given():
    assert CUSTOM.group == "TMaze-Long-v0/sb3-contrib/ablation"
    assert TrainConfig().group == "CartPole-v1/rl_lstm/default"
    assert dataclasses.replace(CUSTOM, wandb_group="mine").group == "mine"


def test_resumable_settings_are_config_fields_and_never_what_defines_the_run():
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    assert names >= RESUMABLE_FIELDS
    assert not RESUMABLE_FIELDS & {"env", "env_kwargs", "algo", "seed", "n_steps", "memory"}
