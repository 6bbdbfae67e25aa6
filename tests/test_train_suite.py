"""Tests of `python -m train.benchmark suite`: task selection, the table, training what is missing
and resuming a partly done table (tiny budgets)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import gymnasium as gym
import pandas as pd
import pytest

import envs
from envs.scoring import REFERENCE_SCORES
from train import benchmark, suite
from train.errors import UsageError
from train.run_dir import RunDir

TINY = ["--tasks", "TMaze-v0", "--seeds", "1", "--total-timesteps", "256", "--threads", "1"]


def test_tasks_are_selected_by_name_and_glob_in_order_without_repeats():
    assert suite.select_tasks(["TMaze-*", "TMaze-v0", "MaskedCartPole-v0"]) == [
        "TMaze-v0",
        "TMaze-Long-v0",
        "TMaze-VeryLong-v0",
        "TMaze-Passive-v0",
        "MaskedCartPole-v0",
    ]
    assert suite.select_tasks(["*"]) == list(envs.TASKS)
    assert suite.select_tasks(["CartPole-v1"]) == ["CartPole-v1"]  # any Gymnasium id


def test_a_pattern_matching_nothing_or_an_unknown_id_is_a_usage_error():
    with pytest.raises(UsageError, match=r"--tasks 'Maze\*' matches no task; tasks: TMaze-v0"):
        suite.select_tasks(["Maze*"])
    with pytest.raises(UsageError, match="close matches: TMaze-v0"):
        suite.select_tasks(["TMaze-v9"])


@pytest.mark.skipif(importlib.util.find_spec("popgym") is None, reason="popgym not installed")
def test_popgym_selects_popgyms_easy_tasks():
    from popgym.envs import ALL_EASY

    tasks = suite.select_tasks(["popgym"])
    assert tasks == [f"popgym:{spec['id']}" for spec in ALL_EASY.values()]
    assert "popgym:popgym-RepeatPreviousEasy-v0" in tasks and len(tasks) in (14, 16)
    assert all(task.endswith("Easy-v0") for task in tasks)


def write_run(path: Path, env: str, total: int, rows: list[dict]) -> RunDir:
    path.mkdir(parents=True)
    run = RunDir(path)
    run.config.write_text(json.dumps({"env": env, "algo": "rl_lstm", "total_timesteps": total}))
    pd.DataFrame(rows).to_csv(run.metrics, index=False)
    return run


def test_the_result_is_the_last_evaluation_and_on_trial_tasks_the_trial_total(tmp_path):
    rows = [
        {"time/total_timesteps": 100, "time/time_elapsed": 3, "eval/mean_reward": 0.9},
        {"time/total_timesteps": 200, "time/time_elapsed": 7},
        {"time/total_timesteps": 200, "eval/mean_reward": 0.6, "eval/mean_trial_return": 6.0},
    ]
    result = suite.result_of(write_run(tmp_path / "a", "TrialBandit-5arm-v0", 200, rows))
    assert (result.eval_return, result.steps, result.seconds) == (6.0, 200, 7.0)
    plain = write_run(tmp_path / "b", "TMaze-v0", 100, [rows[0]])
    assert suite.result_of(plain).eval_return == 0.9
    # Evaluated before the end of its budget: not finished.
    assert suite.result_of(write_run(tmp_path / "c", "TMaze-v0", 300, rows)) is None
    assert suite.result_of(write_run(tmp_path / "d", "TMaze-v0", 100, [rows[1]])) is None


def test_the_table_gives_each_seeds_normalised_score_and_marks_what_is_missing(tmp_path):
    run = RunDir(tmp_path)
    results = {
        ("TMaze-v0", "rl_lstm"): [
            suite.Result(run, 1.0, 512, 4.0),
            suite.Result(run, 0.8, 512, 6.0),
        ],
        ("CartPole-v1", "ppo"): [suite.Result(run, 200.0, 1024, 2.0)],
        ("TMaze-v0", "ppo"): [],
    }
    assert suite.table(results, seeds=2).splitlines()[2:] == [
        "| TMaze-v0 | rl_lstm | 2/2 | 512 | 0.9 ± 0.1 | 1.00, 0.60 | 5 |",
        "| CartPole-v1 | ppo | 1/2 | 1,024 | 200 | - | 2 |",
        "| TMaze-v0 | ppo | 0/2 | - | - | - | - |",
    ]


def run_suite(capsys, tmp: Path, *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(["suite", *TINY, "--run-dir", str(tmp), *args])
    output = capsys.readouterr().out
    assert exit_info.value.code == 0, output[-3000:]
    return output


def run_dirs(tmp: Path) -> list[Path]:
    return sorted(path.parent for path in tmp.glob("*/config.json"))


def test_the_suite_trains_tabulates_and_skips_or_resumes_what_is_done(tmp_path, capsys):
    output = run_suite(capsys, tmp_path, "--algos", "rl_lstm", "ppo")
    runs = run_dirs(tmp_path)
    assert [path.name.split("__")[:3] for path in runs] == [
        ["TMaze-v0", "ppo", "0"],
        ["TMaze-v0", "rl_lstm", "0"],
    ]
    table = (tmp_path / "suite.md").read_text()
    assert table.strip() in output and (tmp_path / "suite.png").stat().st_size > 0
    for path in runs:
        result = suite.result_of(RunDir(path))
        assert result.steps == 512  # whole rollouts: 8 envs of 64 steps
        score = REFERENCE_SCORES["TMaze-v0"].normalise(result.eval_return)
        algo = path.name.split("__")[1]
        row = f"| TMaze-v0 | {algo} | 1/1 | 512 | {result.eval_return:.4g} | {score:.2f} |"
        assert row in table

    # Again: nothing is trained, the same table is written.
    again = run_suite(capsys, tmp_path, "--algos", "rl_lstm", "ppo")
    assert again.count("skipped") == 2 and "training" not in again
    assert run_dirs(tmp_path) == runs and (tmp_path / "suite.md").read_text() == table

    # A run made with other settings (an older preset, say) is not reused: it is trained anew.
    ppo_run = RunDir(runs[0])
    config = json.loads(ppo_run.config.read_text())
    ppo_run.config.write_text(json.dumps({**config, "gamma": 0.9}))
    changed = run_suite(capsys, tmp_path, "--algos", "ppo")
    assert f"note: {runs[0]} is not reused: made with other settings (gamma 0.9, now 0.99)" in (
        changed
    )
    assert changed.count(": training") == 1 and len(run_dirs(tmp_path)) == 3
    runs = run_dirs(tmp_path)

    # One more seed: only that run is trained, whether asked as seeds 0-1 or as seed 1 alone.
    more = run_suite(capsys, tmp_path, "--algos", "rl_lstm", "--start-seed", "1", "--seeds", "1")
    assert "seed 0" not in more and more.count(": training") == 1
    (new,) = set(run_dirs(tmp_path)) - set(runs)
    assert new.name.startswith("TMaze-v0__rl_lstm__1__")
    both = run_suite(capsys, tmp_path, "--algos", "rl_lstm", "--seeds", "2")
    assert both.count("skipped") == 2 and "| TMaze-v0 | rl_lstm | 2/2 |" in both

    # A run stopped before its budget (as if 1024 steps had been asked) is resumed, not redone.
    run = RunDir(new)
    config = json.loads(run.config.read_text())
    run.config.write_text(json.dumps({**config, "total_timesteps": 1024}))
    resumed = run_suite(
        capsys, tmp_path, "--algos", "rl_lstm", "--seeds", "2", "--total-timesteps", "1024"
    )
    assert f"resuming {new} at step 512" in resumed
    assert len(run_dirs(tmp_path)) == 5  # and seed 0 at 1024 steps is a new run
    assert suite.result_of(run).steps == 1024


class BreaksAtTheFirstStep(gym.Env):
    observation_space = gym.spaces.Discrete(2)
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return 0, {}

    def step(self, action):
        raise RuntimeError("this env breaks")


def test_a_run_that_raises_is_reported_with_its_traceback_and_the_suite_goes_on(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setitem(gym.registry, "Breaks-v0", gym.envs.registration.EnvSpec(
        "Breaks-v0", entry_point=BreaksAtTheFirstStep
    ))  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(["suite", *TINY, "--tasks", "Breaks-v0", "TMaze-v0", "--algos", "ppo",
                        "--run-dir", str(tmp_path)])  # fmt: skip
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert "RuntimeError: this env breaks" in captured.err
    assert "Breaks-v0 ppo seed 0, 256 steps: failed (exit code 1)" in captured.out
    assert "1 of 2 runs failed" in captured.out
    table = (tmp_path / "suite.md").read_text().splitlines()[2:]
    assert table[0] == "| Breaks-v0 | ppo | 0/1 | - | - | - | - |"
    assert table[1].startswith("| TMaze-v0 | ppo | 1/1 | ")


def test_a_run_that_fails_is_reported_and_left_out_while_the_others_go_on(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:  # train.ppo refuses --threads 0
        benchmark.main(["suite", *TINY, "--tasks", "TMaze-v0", "CartPole-v1", "--algos", "ppo",
                        "--threads", "0", "--run-dir", str(tmp_path)])  # fmt: skip
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert captured.out.count("failed (exit code 2), left out of the table") == 2
    assert "argument --threads: '0' is not a positive integer" in captured.err
    assert "2 of 2 runs failed" in captured.out
    assert (tmp_path / "suite.md").read_text().splitlines()[2:] == [
        "| TMaze-v0 | ppo | 0/1 | - | - | - | - |",
        "| CartPole-v1 | ppo | 0/1 | - | - | - | - |",
    ]
