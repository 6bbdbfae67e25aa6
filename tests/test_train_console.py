"""Tests of what a run prints: the compact periodic table and the in-trial line."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from train import console
from train.console import CompactTable, in_trial_line

TITLES = ["step", "return", "length", "eval", "sps", "loss", "kl", "entropy", "expl.var", "|cell|"]
TRIAL_EVAL = {
    "eval/mean_reward": 0.5,
    "eval/trial_episode_1_return": 0.123456,
    "eval/trial_episode_2_return": 0.5,
    "eval/trial_episode_3_return": 1.0,
    "eval/trial_episode_5_return": 9.0,  # no 4th: not shown
    "eval/mean_trial_return": 12.34567,
    "rollout/trial_episode_1_return": 7.0,
}


def test_in_trial_line_lists_eval_returns_by_position_up_to_a_gap_then_the_trial_return():
    line = in_trial_line(TRIAL_EVAL)
    expected = "eval return by episode of a trial  1: 0.123  2: 0.5  3: 1 | trial: 12.35"
    assert line == " " * 12 + expected  # under the table, right of the step column


def test_in_trial_line_without_a_trial_return_ends_with_the_last_position():
    values = {key: v for key, v in TRIAL_EVAL.items() if key != "eval/mean_trial_return"}
    assert in_trial_line(values).endswith("  3: 1")


@pytest.fixture
def clock(monkeypatch) -> SimpleNamespace:
    """The table's clock, set by hand (seconds in ``clock.now``)."""
    clock = SimpleNamespace(now=0.0)
    monkeypatch.setattr(console, "time", SimpleNamespace(monotonic=lambda: clock.now))
    return clock


def printed(capsys) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_the_table_prints_a_header_then_a_row_formatted_per_column_with_dashes_for_gaps(
    clock, capsys
):
    table = CompactTable()
    values = {"rollout/ep_rew_mean": 1.5, "time/fps": 250, "train/loss": 0.125, "other/x": 3.0}
    table.write(values, {}, step=1024)
    header, row = printed(capsys)
    assert header.split() == TITLES
    assert row.split() == ["1,024", "1.5", "-", "-", "250", "0.125", "-", "-", "-", "-"]
    assert len(row) == len(header)  # each value right-aligned under its title


def test_the_table_prints_one_row_per_period_and_every_evaluation_besides(clock, capsys):
    table = CompactTable(period_s=8.0)
    table.write({"time/fps": 1.0}, {}, step=1)  # header and row
    clock.now = 7.5
    table.write({"time/fps": 2.0}, {}, step=2)  # within the period: skipped
    table.write({"eval/mean_reward": 3.0}, {}, step=3)  # an evaluation: printed
    clock.now = 8.0
    table.write({"time/fps": 4.0}, {}, step=4)  # a period after the last periodic row: printed
    clock.now = 15.5
    table.write({"time/fps": 5.0}, {}, step=5)  # 7.5 s after it: skipped
    rows = [line.split()[0] for line in printed(capsys)[1:]]
    assert rows == ["1", "3", "4"]
    assert table.rows == 3


def test_every_row_shows_the_latest_value_of_each_column(clock, capsys):
    table = CompactTable(period_s=0.0)
    training = {"rollout/ep_rew_mean": 0.5, "time/fps": 900, "memory/cell_abs_mean": 0.25}
    table.write(training, {}, step=64)
    table.write({"eval/mean_reward": 0.2938, "eval/std_reward": 0.1}, {}, step=64)
    table.write({"train/loss": 0.125, "rollout/ep_rew_mean": 0.75}, {}, step=128)
    _, first, evaluation, later = printed(capsys)
    assert first.split() == ["64", "0.5", "-", "-", "900", "-", "-", "-", "-", "0.25"]
    assert evaluation.split() == ["64", "0.5", "-", "0.2938", "900", "-", "-", "-", "-", "0.25"]
    assert later.split() == ["128", "0.75", "-", "0.2938", "900", "0.125", "-", "-", "-", "0.25"]


def test_the_table_repeats_its_header_every_few_rows(clock, capsys):
    table = CompactTable(period_s=0.0, header_every=2)
    for step in range(1, 6):
        table.write({}, {}, step=step)
    firsts = [line.split()[0] for line in printed(capsys)]
    assert firsts == ["step", "1", "2", "step", "3", "4", "step", "5"]


def test_after_an_evaluation_on_a_trial_env_the_row_is_followed_by_the_in_trial_line(clock, capsys):
    table = CompactTable(period_s=0.0)
    table.write(TRIAL_EVAL, {}, step=64)
    rollout_only = {key: v for key, v in TRIAL_EVAL.items() if not key.startswith("eval/")}
    table.write(rollout_only, {}, step=128)  # no evaluation: no in-trial line
    lines = printed(capsys)
    assert len(lines) == 4
    assert lines[2] == in_trial_line(TRIAL_EVAL)
    assert lines[3].split()[0] == "128"
