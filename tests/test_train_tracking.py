"""Tests that W&B problems never stop training and that the logger output sends numbers only."""

from __future__ import annotations

from pathlib import Path

from train.config import TrainConfig
from train.tracking import Tracker, WandbOutput, choose_mode


class BrokenRun:
    """A W&B run whose every call fails, as with a full disk or a dead service."""

    def log(self, values):
        raise OSError("service is gone")


class RecordingRun:
    def __init__(self) -> None:
        self.logged: list[dict] = []

    def log(self, values):
        self.logged.append(values)


def test_logging_errors_are_reported_once_and_swallowed(capsys):
    tracker = Tracker(BrokenRun())
    for step in range(3):
        tracker.log({"rollout/ep_rew_mean": 1.0}, step)
    assert tracker.errors == 3
    out = capsys.readouterr().out
    assert out.count("service is gone") == 1 and "training goes on" in out


def test_a_failed_init_leaves_the_run_without_tracking(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WANDB_MODE", "no-such-mode")
    assert Tracker.start(TrainConfig(env="TMaze-v0"), tmp_path) is None
    assert "going on without W&B" in capsys.readouterr().out


def test_wandb_mode_from_the_environment_wins(monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert choose_mode() == "disabled"


def test_logger_output_sends_numbers_at_global_step():
    run = RecordingRun()
    output = WandbOutput(Tracker(run))
    values = {"train/loss": 0.5, "time/fps": 120, "note": "text", "eval/video": Path("v.mp4")}
    output.write(values, {key: () for key in values}, step=2048)
    assert run.logged == [{"train/loss": 0.5, "time/fps": 120, "global_step": 2048}]
