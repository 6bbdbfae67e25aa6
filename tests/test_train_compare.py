"""Tests of `python -m train.compare` on run directories with known learning curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from train import compare
from train.config import TrainConfig


def make_run(parent: Path, algo: str, seed: int, slope: float) -> Path:
    """A run directory as train.ppo leaves it: config.json and metrics.csv (train + eval rows)."""
    run = parent / f"TMaze-v0__{algo}__{seed}__20250101-000000"
    run.mkdir(parents=True)
    TrainConfig(env="TMaze-v0", algo=algo, seed=seed).save(run / "config.json")
    steps = np.arange(1, 11) * 1000
    train_rows = pd.DataFrame(
        {"time/total_timesteps": steps, "rollout/ep_rew_mean": slope * steps / 1000 + seed}
    )
    eval_rows = pd.DataFrame(
        {"time/total_timesteps": steps[4::5], "eval/mean_reward": [slope * 5, slope * 10 + seed]}
    )
    pd.concat([train_rows, eval_rows]).to_csv(run / "metrics.csv", index=False)
    return run


def test_mean_and_spread_over_seeds_on_a_common_grid():
    a = pd.Series([0.0, 10.0], index=[0.0, 100.0])
    b = pd.Series([2.0, 4.0], index=[0.0, 50.0])
    stats = compare.mean_and_spread([a, b], points=3)
    np.testing.assert_allclose(stats.index, [0, 50, 100])
    np.testing.assert_allclose(stats["mean"], [1, 4.5, 10])  # b ends at 50: only a after it
    np.testing.assert_allclose(stats["std"], [1, 0.5, 0])


def test_compare_two_algorithms_over_seeds_into_a_png_and_a_table(tmp_path, capsys):
    for seed in (0, 1):
        make_run(tmp_path / "runs", "rl_lstm", seed, slope=1.0)
        make_run(tmp_path / "runs", "ppo", seed, slope=0.5)
    output = tmp_path / "curves.png"
    assert compare.main([str(tmp_path / "runs"), "--output", str(output)]) == 0
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert f"learning curves: {output}" in printed
    assert "| TMaze-v0 | ppo | 2 | 10,000 | 5.5 ± 0.5 | 5.5 ± 0.5 |" in printed
    assert "| TMaze-v0 | rl_lstm | 2 | 10,000 | 10.5 ± 0.5 | 10.5 ± 0.5 |" in printed


def test_compare_needs_runs_or_a_wandb_project(capsys):
    with pytest.raises(SystemExit) as exit_info:
        compare.main([])
    assert exit_info.value.code == 2
    assert "give run directories or --wandb-project" in capsys.readouterr().err
