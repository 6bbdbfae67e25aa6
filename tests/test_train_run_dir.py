"""Tests of the run directory: its name and paths, finding it from inside, and its checkpoints."""

from __future__ import annotations

import time

import numpy as np
import pytest
from stable_baselines3 import PPO

from rl_lstm import RecurrentPPO
from train import run_dir as run_dir_module
from train.config import TrainConfig
from train.env_factory import make_vec_env
from train.errors import UsageError
from train.run_dir import RunDir, normalization_path, save_checkpoint

CONFIG = TrainConfig(env="TMaze-v0", algo="sb3-contrib", exp_name="ablation", seed=3)


def test_a_new_run_is_named_env_algo_seed_and_the_time_it_was_made(tmp_path):
    before = time.strftime("%Y%m%d-%H%M%S")
    run = RunDir.create(tmp_path / "runs", CONFIG)
    after = time.strftime("%Y%m%d-%H%M%S")
    assert run.path.parent == tmp_path / "runs"
    assert run.path.name in {f"TMaze-v0__sb3-contrib__3__{stamp}" for stamp in (before, after)}


def test_a_new_run_directory_holds_only_empty_checkpoint_and_video_folders(tmp_path):
    run = RunDir.create(tmp_path, CONFIG)
    assert sorted(p.name for p in run.path.iterdir()) == ["checkpoints", "videos"]
    assert not any(run.checkpoints.iterdir()) and not any(run.videos.iterdir())


@pytest.mark.parametrize(
    ("env", "prefix"),
    [("envs:TMaze-v0", "envs-TMaze-v0__"), ("ALE/Pong v5", "ALE-Pong-v5__")],
)
def test_characters_that_are_unsafe_in_a_folder_name_become_dashes(tmp_path, env, prefix):
    run = RunDir.create(tmp_path, TrainConfig(env=env))
    assert run.path.parent == tmp_path
    assert run.path.name.startswith(prefix + "rl_lstm__0__")


def test_runs_made_in_the_same_second_get_numbered_folders(tmp_path, monkeypatch):
    monkeypatch.setattr(run_dir_module.time, "strftime", lambda _format: "20250101-000000")
    names = [RunDir.create(tmp_path, CONFIG).path.name for _ in range(3)]
    name = "TMaze-v0__sb3-contrib__3__20250101-000000"
    assert names == [name, f"{name}-2", f"{name}-3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)


def test_a_parent_that_is_a_file_is_refused_and_nothing_is_made(tmp_path):
    parent = tmp_path / "runs"
    parent.write_text("not a folder")
    with pytest.raises(NotADirectoryError):
        RunDir.create(parent, CONFIG)
    assert list(tmp_path.iterdir()) == [parent]
    assert parent.read_text() == "not a folder"


def test_find_gives_the_run_from_its_directory_or_any_path_inside_it(tmp_path):
    run = RunDir.create(tmp_path / "runs", CONFIG)
    CONFIG.save(run.config)
    run.latest.write_bytes(b"")
    assert RunDir.find(run.path) == run
    assert RunDir.find(run.latest) == run
    assert RunDir.find(run.best) == run  # not written yet: the run is still found
    assert RunDir.find(run.videos / "eval" / "x.mp4") == run


def test_find_refuses_a_path_outside_any_run(tmp_path):
    run = RunDir.create(tmp_path / "runs", CONFIG)  # made, but no config.json written yet
    for path in (tmp_path, run.path, run.latest):
        with pytest.raises(UsageError, match="is not a run directory or a file inside one"):
            RunDir.find(path)


def normalized_env():
    """CartPole under VecNormalize, stepped a little so that its statistics are not the initial."""
    env = make_vec_env("CartPole-v1", {}, 2, seed=0, normalize=True)
    env.reset()
    for _ in range(5):
        env.step(np.array([0, 1]))
    return env


def test_ppo_checkpoints_keep_their_normalization_statistics_beside_them(tmp_path):
    env = normalized_env()
    model = PPO("MlpPolicy", env, n_steps=16, batch_size=16, seed=0)
    checkpoint = tmp_path / "checkpoints" / "latest.zip"
    checkpoint.parent.mkdir()
    save_checkpoint(model, checkpoint)
    assert sorted(p.name for p in checkpoint.parent.iterdir()) == [
        "latest.vecnormalize.pkl",
        "latest.zip",
    ]
    stats = make_vec_env(
        "CartPole-v1", {}, 2, seed=1, normalization_stats=normalization_path(checkpoint)
    )
    assert stats.obs_rms.count == env.obs_rms.count
    assert np.array_equal(stats.obs_rms.mean, env.obs_rms.mean)
    assert PPO.load(checkpoint).num_timesteps == model.num_timesteps


def test_rl_lstm_and_unnormalized_checkpoints_are_a_single_file(tmp_path):
    recurrent = RecurrentPPO("MlpLstmPolicy", normalized_env(), n_steps=16, batch_size=16, seed=0)
    plain = PPO("MlpPolicy", make_vec_env("CartPole-v1", {}, 2, seed=0), n_steps=16, batch_size=16)
    save_checkpoint(recurrent, tmp_path / "recurrent.zip")
    save_checkpoint(plain, tmp_path / "plain.zip")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.zip", "recurrent.zip"]
