"""Tests of metrics.csv: a resumed run appends to the file, and the best value logged in it."""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest
from stable_baselines3.common.logger import CSVOutputFormat

from train.metrics_csv import ResumableCSVOutput, best_logged

# Rows as train.ppo logs them: evaluation keys appear in later rows, one new key at a time.
ROWS = [
    {"time/total_timesteps": 128, "train/loss": 0.5},
    {"time/total_timesteps": 256, "train/loss": 0.25, "eval/mean_reward": -3.0},
    {"time/total_timesteps": 384, "train/loss": 0.125},
    {"time/total_timesteps": 512, "eval/mean_reward": -1.5, "eval/best_mean_reward": -1.5},
    {"time/total_timesteps": 640, "train/loss": 0.0625, "note": 'a "quoted", text'},
]


def write_rows(output: CSVOutputFormat, rows: list[dict]) -> None:
    for step, row in enumerate(rows):
        output.write(row, {}, step)
    output.close()


def test_a_new_file_is_written_exactly_as_sb3s_csv_output_writes_it(tmp_path):
    write_rows(CSVOutputFormat(str(tmp_path / "sb3.csv")), ROWS)
    write_rows(ResumableCSVOutput(tmp_path / "metrics.csv"), ROWS)
    assert (tmp_path / "metrics.csv").read_text() == (tmp_path / "sb3.csv").read_text()


@pytest.mark.parametrize("stops", [[1], [2], [3], [4], [1, 3], [1, 2, 3, 4]])
def test_a_resumed_file_is_what_an_uninterrupted_run_would_have_written(tmp_path, stops):
    write_rows(CSVOutputFormat(str(tmp_path / "uninterrupted.csv")), ROWS)
    path = tmp_path / "metrics.csv"
    bounds = [0, *stops, len(ROWS)]
    for start, stop in itertools.pairwise(bounds):
        write_rows(ResumableCSVOutput(path), ROWS[start:stop])  # stopped, then resumed
    assert path.read_text() == (tmp_path / "uninterrupted.csv").read_text()


def test_a_resumed_file_keeps_its_rows_and_its_column_order(tmp_path):
    path = tmp_path / "metrics.csv"
    write_rows(ResumableCSVOutput(path), ROWS[:2])
    header = path.read_text().splitlines()[0].split(",")  # SB3 orders the first keys as a set
    write_rows(ResumableCSVOutput(path), [{"train/loss": 0.75, "time/total_timesteps": 384}])
    metrics = pd.read_csv(path)
    assert list(metrics.columns) == header
    assert metrics["time/total_timesteps"].tolist() == [128, 256, 384]
    assert metrics["train/loss"].tolist() == [0.5, 0.25, 0.75]
    assert metrics["eval/mean_reward"].isna().tolist() == [True, False, True]


def test_best_logged_is_the_largest_value_of_the_key_over_the_rows_that_have_it(tmp_path):
    path = tmp_path / "metrics.csv"
    pd.DataFrame(
        {
            "time/total_timesteps": [128, 256, 384, 512, 640],
            "eval/best_mean_reward": [None, -7.5, None, -2.25, -4.0],
        }
    ).to_csv(path, index=False)
    assert best_logged(path, "eval/best_mean_reward") == -2.25
    assert best_logged(path, "time/total_timesteps") == 640.0


def test_best_logged_of_a_resumed_file_includes_the_rows_from_before_the_stop(tmp_path):
    path = tmp_path / "metrics.csv"
    write_rows(ResumableCSVOutput(path), [{"eval/best_mean_reward": 9.0}])
    write_rows(ResumableCSVOutput(path), [{"eval/best_mean_reward": 4.0}])
    assert best_logged(path, "eval/best_mean_reward") == 9.0


@pytest.mark.parametrize(
    "content",
    [
        None,  # no file: a new run
        "",  # created, nothing logged yet
        "time/total_timesteps,eval/best_mean_reward\n",  # header only
        "time/total_timesteps,train/loss\n128,0.5\n",  # never evaluated
        "time/total_timesteps,eval/best_mean_reward\n128,\n256,\n",  # column empty so far
    ],
)
def test_best_logged_is_minus_infinity_while_nothing_was_logged_for_the_key(tmp_path, content):
    path = tmp_path / "metrics.csv"
    if content is not None:
        path.write_text(content)
    best = best_logged(path, "eval/best_mean_reward")
    assert math.isinf(best) and best < 0
