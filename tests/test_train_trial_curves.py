"""Tests of the in-trial learning curve: returns by episode position, in metrics.csv and W&B."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.test_train_ppo import only_run, train, wandb_records
from train.trial_curves import TrialTracker

EPISODE_KEYS = [f"trial_episode_{k}_return" for k in range(1, 11)]


def step(tracker: TrialTracker, dones: list[bool], returns: list[float], starts: list[bool]):
    infos = [{"episode": {"r": r}} if done else {} for done, r in zip(dones, returns, strict=True)]
    tracker.update(np.array(dones), infos, [{"trial_start": s} for s in starts])


def test_tracker_groups_returns_by_position_and_sums_whole_trials():
    tracker = TrialTracker(2)
    step(tracker, [True, False], [1.0, 0.0], [False, False])  # env 0: episode 1 of 2
    step(tracker, [True, True], [3.0, 5.0], [True, False])  # env 0: trial ends; env 1: 1st
    step(tracker, [False, True], [0.0, 7.0], [False, True])  # env 1: trial ends
    assert tracker.metrics("eval") == {
        "eval/trial_episode_1_return": 3.0,
        "eval/trial_episode_2_return": 5.0,
        "eval/mean_trial_return": 8.0,
    }
    assert not tracker.in_trial(0) and not tracker.in_trial(1)


def test_tracker_says_nothing_for_envs_without_trials():
    tracker = TrialTracker(1)
    for _ in range(3):
        tracker.update(np.array([True]), [{"episode": {"r": 1.0}}], [{}])
    assert tracker.metrics("eval") == {}


@pytest.fixture(scope="module")
def bandit_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("trials")
    args = [
        "--env", "TrialBandit-5arm-v0", "--memory", "trial", "--n-envs", "2", "--n-steps", "20",
        "--batch-size", "40", "--n-epochs", "1", "--lstm-hidden-size", "8",
        "--total-timesteps", "200", "--eval-freq", "200", "--eval-episodes", "15", "--track",
    ]  # fmt: skip
    result = train(tmp, *args)
    assert result.returncode == 0, result.stderr[-3000:]
    return tmp, result


def test_trial_run_logs_returns_by_episode_position_to_csv_console_and_wandb(bandit_run):
    tmp, result = bandit_run
    metrics = pd.read_csv(only_run(tmp) / "metrics.csv")
    for prefix in ("eval", "rollout"):
        expected = {f"{prefix}/{key}" for key in EPISODE_KEYS} | {f"{prefix}/mean_trial_return"}
        assert expected <= set(metrics.columns)
    evaluation = metrics.dropna(subset=["eval/mean_trial_return"]).iloc[-1]
    by_position = [evaluation[f"eval/{key}"] for key in EPISODE_KEYS]
    # 15 episodes asked: two whole trials of 10 one-pull episodes played.
    assert evaluation["eval/mean_reward"] == pytest.approx(np.mean(by_position))
    assert evaluation["eval/mean_trial_return"] == pytest.approx(sum(by_position))
    assert "eval return by episode of a trial  1: " in result.stderr + result.stdout

    (run_file,) = (tmp / "wandb").glob("offline-run-*/run-*.wandb")
    logged = set()
    for record in wandb_records(run_file):
        if record.WhichOneof("record_type") == "history":
            row = {item.key or "/".join(item.nested_key): item for item in record.history.item}
            assert "global_step" in row
            logged |= set(row)
    assert {"eval/trial_episode_10_return", "eval/mean_trial_return"} <= logged
    assert {"rollout/trial_episode_1_return", "rollout/mean_trial_return"} <= logged
