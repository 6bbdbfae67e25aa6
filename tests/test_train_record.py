"""Tests of the memory panel and of `python -m train.record` on a checkpoint of a tiny run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest

from rl_lstm.inspection import MemoryTrace
from train.memory_panel import MemoryPanel, running_returns

REPO = Path(__file__).resolve().parents[1]
ALGO = "rl_lstm"


def hand_made_trace(steps: int = 30, units: int = 8) -> MemoryTrace:
    """A trace of two trials, the second of two episodes (the state carried across them)."""
    rng = np.random.default_rng(0)
    episode_starts = np.zeros(steps, bool)
    episode_starts[[0, 10, 20]] = True
    trial_starts = np.zeros(steps, bool)
    trial_starts[[0, 10]] = True
    gates = {
        name: rng.random((steps, units)) for name in ("input_gate", "forget_gate", "output_gate")
    }
    return MemoryTrace(
        frames=[np.full((40, 60, 3), t * 8, np.uint8) for t in range(steps)],
        cell=rng.normal(size=(steps, units)),
        hidden=rng.normal(size=(steps, units)),
        rewards=np.ones(steps),
        episode_starts=episode_starts,
        trial_starts=trial_starts,
        state_resets=trial_starts,
        episode_returns=[10.0, 10.0, 10.0],
        **gates,
    )


def test_running_returns_restart_at_episode_starts():
    starts = np.array([True, False, False, True, False])
    np.testing.assert_allclose(running_returns(np.arange(5.0), starts), [0, 1, 3, 3, 7])


def test_panel_draws_one_image_per_step_with_boundaries_marked():
    trace = hand_made_trace()
    panel = MemoryPanel(trace, window=16)
    images = panel.draw_all()
    assert len(images) == 30
    assert images[0].shape == images[-1].shape and images[0].shape[2] == 3
    assert images[0].dtype == np.uint8
    assert not np.array_equal(images[5], images[6])
    # At step 25 the window (steps 10..25) holds a trial start (10) and an episode start (20):
    # one line each in the cell heatmap and the three gate heatmaps.
    panel.draw(25)
    assert len(panel.boundaries) == 2 * 4
    assert {line.get_linestyle() for line in panel.boundaries} == {"-", "--"}


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
    assert frames[0].shape == (560, 1280, 3)  # the env picture beside the memory panel


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
