"""Tests of the preset table: it covers the task suite and every preset is a valid command line."""

from __future__ import annotations

import dataclasses

import gymnasium as gym
import pytest

import envs
from train.arguments import parse_args
from train.presets import DEFAULTS, PRESETS, Hyperparams, preset_for


def test_every_task_of_the_suite_has_a_preset():
    assert set(envs.TASKS) <= set(PRESETS)


@pytest.mark.parametrize("env_id", sorted(PRESETS))
def test_each_preset_names_a_registered_env_and_parses_as_a_command_line(env_id):
    gym.spec(env_id)
    preset = preset_for(env_id)
    config = parse_args(["--env", env_id]).config
    assert {f.name: getattr(config, f.name) for f in dataclasses.fields(Hyperparams)} == (
        dataclasses.asdict(preset)
    )


def test_any_other_id_gets_the_defaults_and_module_prefixes_are_ignored():
    assert preset_for("Acrobot-v1") == DEFAULTS
    assert preset_for("envs:TMaze-v0") == preset_for("TMaze-v0")
