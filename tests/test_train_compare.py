"""Tests of `python -m train.compare` on run directories with known learning curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from train import compare
from train.config import TrainConfig


def make_run(
    parent: Path, algo: str, seed: int, slope: float, steps: int = 10_000, **settings
) -> Path:
    """A run directory as train.ppo leaves it: config.json and metrics.csv (train + eval rows),
    a training row every 1,000 steps up to ``steps``."""
    name = f"TMaze-v0__{algo}__{seed}__20250101-000000"
    run = parent / name
    copies = 1
    while run.exists():
        copies += 1
        run = parent / f"{name}-{copies}"
    run.mkdir(parents=True)
    settings = dict(total_timesteps=10_000, **settings)
    TrainConfig(env="TMaze-v0", algo=algo, seed=seed, **settings).save(run / "config.json")
    steps = np.arange(1, steps // 1000 + 1) * 1000
    train_rows = pd.DataFrame(
        {"time/total_timesteps": steps, "rollout/ep_rew_mean": slope * steps / 1000 + seed}
    )
    evaluated = steps[4::5]  # every 5,000 steps; the seed is added at the last step only
    eval_rows = pd.DataFrame(
        {
            "time/total_timesteps": evaluated,
            "eval/mean_reward": slope * evaluated / 1000 + seed * (evaluated == steps[-1]),
        }
    )
    pd.concat([train_rows, eval_rows]).to_csv(run / "metrics.csv", index=False)
    return run


def test_mean_and_spread_over_seeds_on_a_common_grid():
    a = pd.Series([0.0, 10.0], index=[0.0, 100.0])
    b = pd.Series([2.0, 4.0], index=[0.0, 50.0])
    stats = compare.mean_and_spread([a, b], points=3)
    np.testing.assert_allclose(stats.index, [0, 25, 50])  # b ends at 50: so do the statistics
    np.testing.assert_allclose(stats["mean"], [1, 2.75, 4.5])
    np.testing.assert_allclose(stats["std"], [1, 0.25, 0.5])


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


def test_runs_are_grouped_by_configuration_counting_each_seed_once(tmp_path, capsys):
    runs = tmp_path / "runs"
    short = make_run(runs, "rl_lstm", 0, slope=1.0, steps=3_000)  # seed 0 again, shorter
    longest = make_run(runs, "rl_lstm", 0, slope=1.0)
    make_run(runs, "rl_lstm", 1, slope=1.0)
    stopped = make_run(runs, "rl_lstm", 2, slope=1.0, steps=6_000)  # interrupted at 6k of 10k
    make_run(runs, "rl_lstm", 0, slope=2.0, learning_rate=1e-3)  # another configuration
    (runs / "TMaze-v0__ppo__0__20250101-000000").mkdir()  # made, never trained
    (runs / "TMaze-v0__ppo__0__20250101-000000" / "config.json").write_text("{}")
    broken = runs / "TMaze-v0__ppo__1__20250101-000000"  # broke before it logged a row
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    (broken / "metrics.csv").write_text("")
    assert compare.main([str(runs), "--output", str(tmp_path / "curves.png")]) == 0
    printed = capsys.readouterr().out
    # Seeds 0, 1, 2 of the default settings, up to the 6,000 steps all three cover.
    assert "| TMaze-v0 | rl_lstm [learning_rate=0.0003] | 3 | 6,000 | 7 ± 0.82 | 5 ± 0 |" in printed
    assert "| TMaze-v0 | rl_lstm [learning_rate=0.001] | 1 | 10,000 | 20 | 20 |" in printed
    assert f"{short} left out: seed 0 of TMaze-v0" in printed and f"kept {longest}" in printed
    assert f"{stopped} stopped at 6,000 of its 10,000 steps" in printed
    assert "seeds 0, 1, 2 merged (3 runs)" in printed
    assert printed.count("has no metrics yet: left out") == 2
