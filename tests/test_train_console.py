"""Tests of what a run prints: the progress bar, the compact periodic table, the in-trial line."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from stable_baselines3.common.callbacks import BaseCallback, CallbackList

from tests.conftest import numbered_vec_env, tiny_agent
from train import console
from train.console import CompactTable, ProgressBar, in_trial_line

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


def test_the_table_prints_one_row_per_period_but_every_evaluation_at_once(clock, capsys):
    table = CompactTable(period_s=8.0)
    table.write({"time/fps": 1.0}, {}, step=1)  # header and row
    clock.now = 7.5
    table.write({"time/fps": 2.0}, {}, step=2)  # within the period: skipped
    table.write({"eval/mean_reward": 3.0}, {}, step=3)  # an evaluation: printed
    clock.now = 15.25
    table.write({"time/fps": 4.0}, {}, step=4)  # 7.75 s after the last row: skipped
    clock.now = 15.5
    table.write({"time/fps": 5.0}, {}, step=5)  # a period after the last row: printed
    rows = [line.split()[0] for line in printed(capsys)[1:]]
    assert rows == ["1", "3", "5"]
    assert table.rows == 3


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


class BarWatch(BaseCallback):
    """Notes, after the bar's own step, how far the bar has got."""

    def __init__(self, bar: ProgressBar) -> None:
        super().__init__()
        self.progress_bar, self.seen = bar, []

    def _on_step(self) -> bool:
        self.seen.append((self.num_timesteps, self.progress_bar.bar.n))
        return True


def test_the_progress_bar_advances_with_the_steps_taken_and_closes_at_the_end():
    model, bar = tiny_agent(numbered_vec_env(2)), ProgressBar(total_timesteps=32)
    watch = BarWatch(bar)
    model.learn(32, callback=CallbackList([bar, watch]))
    assert watch.seen == [(steps, steps) for steps in range(2, 33, 2)]  # (model, bar) steps
    assert bar.bar.total == 32 and bar.bar.disable  # closed


def test_a_resumed_runs_bar_starts_at_its_step_and_ends_at_the_total():
    model = tiny_agent(numbered_vec_env())
    model.learn(16)
    bar = ProgressBar(total_timesteps=48)
    watch = BarWatch(bar)
    model.learn(32, callback=CallbackList([bar, watch]), reset_num_timesteps=False)
    assert bar.bar.initial == 16
    assert watch.seen[0] == (17, 17) and watch.seen[-1] == (48, 48)


def test_the_progress_bar_shows_the_mean_recent_return(capsys):
    model, bar = tiny_agent(numbered_vec_env()), ProgressBar(total_timesteps=16)
    model.learn(16, callback=bar)  # 2-step episodes returning 1, 2 ... 8
    assert bar.bar.postfix == "ret=4.5"
    assert "ret=4.5" in capsys.readouterr().err
