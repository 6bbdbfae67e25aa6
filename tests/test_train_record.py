"""Tests of `python -m train.record` on a checkpoint of a tiny run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import imageio.v2 as imageio
import pytest

REPO = Path(__file__).resolve().parents[1]
ALGO = "rl_lstm"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("record")
    args = [
        "--env", "TMaze-v0", "--algo", ALGO, "--total-timesteps", "512", "--n-envs", "2",
        "--n-steps", "64", "--batch-size", "64", "--n-epochs", "1", "--lstm-hidden-size", "8",
        "--eval-freq", "512", "--eval-episodes", "1", "--run-dir", str(tmp / "runs"),
    ]  # fmt: skip
    result = run_module("train.ppo", *args, cwd=tmp)
    assert result.returncode == 0, result.stderr[-3000:]
    (run,) = (tmp / "runs").iterdir()
    return run


def run_module(module: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "WANDB_MODE": "offline", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_record_writes_an_mp4_from_a_run_directory(run_dir):
    result = run_module("train.record", str(run_dir), "--episodes", "2", cwd=run_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    (video,) = (run_dir / "videos").glob("record_best_*.mp4")
    assert f"video: {video}" in result.stdout
    frames = imageio.mimread(video, memtest=False)
    assert len(frames) > 2
    # The T-maze's wide picture above the memory panel, in sides a video encoder takes.
    height, width, channels = frames[0].shape
    assert (width, channels) == (1280, 3) and height > 560 and height % 16 == 0


def test_record_writes_a_gif_where_asked(run_dir, tmp_path):
    output = tmp_path / "watch.gif"
    checkpoint = run_dir / "checkpoints" / "latest.zip"
    args = [str(checkpoint), "--episodes", "1", "--gif", "--output", str(output), "--stochastic"]
    result = run_module("train.record", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(imageio.mimread(output)) > 1


def test_record_of_a_path_outside_any_run_is_a_usage_error(tmp_path):
    result = run_module("train.record", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "is not a run directory" in result.stderr and "Traceback" not in result.stderr
