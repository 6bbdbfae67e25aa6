"""Tests of `python -m train.benchmark memory`: the settings rule per gap length, the tables, and
training, plotting and skipping finished runs on tiny budgets."""

from __future__ import annotations

from pathlib import Path

import pytest

from train import benchmark, memory_probe, suite
from train.config import TrainConfig
from train.run_dir import RunDir


def test_the_rollout_holds_a_whole_episode_and_rl_lstms_context_is_a_rollout():
    assert [memory_probe.n_steps_for(length) for length in (1, 127, 128, 300, 1000)] == [
        128,
        128,
        256,
        384,
        1024,
    ]
    assert [memory_probe.budget_for(length) for length in (10, 99, 100, 1000)] == [
        200_000,
        200_000,
        202_000,
        2_002_000,
    ]
    assert memory_probe.settings_for(300, "rl_lstm", 600_000) == [
        "--length", "300", "--n-steps", "384", "--batch-size", "768", "--eval-freq", "120000",
        "--context", "384",
    ]  # fmt: skip
    assert memory_probe.settings_for(10, "sb3-contrib", 1000)[-2:] == ["--eval-freq", "200"]


def result(success: float, seconds: float = 2.0) -> suite.Result:
    return suite.Result(RunDir(Path(".")), 2 * success - 1, 1024, seconds)


def test_the_table_gives_success_per_seed_and_the_longest_gap_solved():
    results = {
        (10, "rl_lstm"): [result(1.0), result(0.75, 4.0)],
        (10, "ppo"): [result(0.5)],
        (100, "rl_lstm"): [result(1.0), result(0.875)],  # mean >= 0.9: solved
        (100, "ppo"): [],
        (1000, "rl_lstm"): [result(0.5), result(0.625)],
    }
    assert memory_probe.table(results, seeds=2).splitlines()[2:] == [
        "| 10 | rl_lstm | 2/2 | 1,024 | 0.88 ± 0.12 | 1.00, 0.75 | 3 |",  # not solved
        "| 10 | ppo | 1/2 | 1,024 | 0.5 | 0.50 | 2 |",
        "| 100 | rl_lstm | 2/2 | 1,024 | 0.94 ± 0.062 | 1.00, 0.88 | 2 |",
        "| 100 | ppo | 0/2 | - | - | - | - |",
        "| 1000 | rl_lstm | 2/2 | 1,024 | 0.56 ± 0.062 | 0.50, 0.62 | 2 |",
        "",
        "| algo | longest L solved (mean success >= 0.9) |",
        "|---|---|",
        "| rl_lstm | 100 |",
        "| ppo | none |",
    ]


def run_memory(capsys, tmp: Path, *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(["memory", "--run-dir", str(tmp), "--seeds", "1", "--total-timesteps",
                        "256", "--eval-episodes", "4", "--threads", "1", *args])  # fmt: skip
    output = capsys.readouterr().out
    assert exit_info.value.code == 0, output[-3000:]
    return output


def test_the_probe_trains_each_gap_tabulates_plots_and_skips_what_is_done(tmp_path, capsys):
    output = run_memory(capsys, tmp_path, "--lengths", "2", "4", "--algos", "rl_lstm", "ppo")
    table = (tmp_path / "memory.md").read_text()
    assert table.strip() in output and output.count(": training") == 4
    assert (tmp_path / "memory.png").stat().st_size > 0
    for length in (2, 4):
        runs = sorted(p.parent for p in (tmp_path / f"length-{length}").glob("*/config.json"))
        assert [path.name.split("__")[1] for path in runs] == ["ppo", "rl_lstm"]
        assert (tmp_path / f"length-{length}" / "curves.png").stat().st_size > 0
        for path in runs:
            cfg = TrainConfig.load(RunDir(path).config)
            assert (cfg.env_kwargs["length"], cfg.n_steps, cfg.batch_size) == (length, 128, 256)
            assert cfg.context == (128 if cfg.algo == "rl_lstm" else 0)
            done = suite.result_of(RunDir(path))
            success = memory_probe.success_rate(done)
            assert done.steps == 1024 and success in {k / 4 for k in range(5)}  # 4 episodes
            row = f"| {length} | {cfg.algo} | 1/1 | 1,024 | {success:.2g} | {success:.2f} |"
            assert row in table

    # Again, with one more gap: only that gap's runs are trained, the others skipped.
    again = run_memory(capsys, tmp_path, "--lengths", "2", "4", "3", "--algos", "rl_lstm", "ppo")
    assert again.count("skipped") == 4 and again.count(": training") == 2
    assert (tmp_path / "memory.md").read_text().startswith(table.split("\n\n")[0])


def test_a_gap_below_one_an_unknown_algo_or_no_seed_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(["memory", "--lengths", "10", "0", "--run-dir", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "--lengths 0: a gap length is an integer >= 1" in capsys.readouterr().err
    for seeds in (["--seeds", "0"], ["--start-seed", "-1"]):
        with pytest.raises(SystemExit) as exit_info:
            benchmark.main(["memory", *seeds, "--run-dir", str(tmp_path)])
        assert exit_info.value.code == 2
        assert "--seeds is a positive integer and --start-seed an integer >= 0" in (
            capsys.readouterr().err
        )
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(["memory", "--algos", "lstm"])
    assert exit_info.value.code == 2
    assert "argument --algos: invalid choice: 'lstm'" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing trained
