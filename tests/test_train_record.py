"""Tests of the memory panel and of `python -m train.record` on a checkpoint of a tiny run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest

from rl_lstm import RecurrentPPO
from rl_lstm.inspection import MemoryTrace, trace_rollout
from train.env_factory import make_vec_env
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
    # At step 25 the window (steps 10..25) holds a trial start (10) with the state zeroed and an
    # episode start (20): one mark each in the cell heatmap and the three gate heatmaps.
    panel.draw(25)
    assert panel.marks(25) == [(10, "trial start"), (10, "state reset"), (20, "episode start")]
    assert len(panel.boundaries) == 3 * 4
    assert {line.get_linestyle() for line in panel.boundaries} == {"-", "--", "None"}


def pixels_near(image: np.ndarray, axes, x: float, color: tuple[int, int, int]) -> int:
    """How many pixels of ``color`` (within 40 per channel) lie in the column of data
    coordinate ``x``, within the vertical span of ``axes``, or just above it."""
    height = image.shape[0]
    column, _ = axes.transData.transform((x, 0)).round().astype(int)
    bottom, top = axes.bbox.y0, axes.bbox.y1
    rows = image[int(height - top) - 12 : int(height - bottom), column - 1 : column + 2]
    return int((np.abs(rows.astype(int) - color).max(-1) <= 40).sum())


def test_marks_are_drawn_at_the_trial_episode_and_reset_columns():
    trace = hand_made_trace()
    trace.state_resets = trace.episode_starts.copy()  # as memory="episode" would zero it
    panel = MemoryPanel(trace, window=20)
    image = panel.draw(25)  # window: steps 6..25; trial start at 10, episode starts 10 and 20
    axes = panel.heatmaps["cell"].axes
    black, orange, red = (0, 0, 0), (255, 127, 14), (255, 0, 0)
    trial_x, episode_x, plain_x = 10 - 25 - 0.5, 20 - 25 - 0.5, 15 - 25 - 0.5
    assert pixels_near(image, axes, trial_x, black) > 40
    assert pixels_near(image, axes, episode_x, orange) > 40
    assert pixels_near(image, axes, trial_x, red) > 5 and pixels_near(image, axes, episode_x, red)
    for color in (black, orange, red):
        assert pixels_near(image, axes, plain_x, color) == 0


@pytest.mark.parametrize(("memory", "reset_every"), [("trial", 3), ("episode", 1)])
def test_panel_of_a_trial_task_marks_its_episodes_trials_and_resets(memory, reset_every):
    env = make_vec_env(
        "TrialBandit-5arm-v0", {"episodes_per_trial": 3}, 1, seed=0, render_mode="rgb_array"
    )
    model = RecurrentPPO("MlpLstmPolicy", env, policy_kwargs={"lstm_hidden_size": 4}, memory=memory)
    trace = trace_rollout(model, env, n_episodes=9)  # one-pull episodes, 3 per trial
    panel = MemoryPanel(trace, window=9)
    kinds = {step: kind for step, kind in panel.marks(8) if kind != "state reset"}
    assert kinds == {step: "trial start" if step % 3 == 0 else "episode start" for step in range(9)}
    resets = [step for step, kind in panel.marks(8) if kind == "state reset"]
    assert resets == list(range(0, 9, reset_every))
    panel.draw(8)
    assert panel.title.get_text().startswith("step 8   trial 3, episode 3")


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
