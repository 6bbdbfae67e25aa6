"""Tests of the progress bar: it counts env steps and its total is the step training ends at."""

from __future__ import annotations

from stable_baselines3.common.callbacks import BaseCallback, CallbackList

from rl_lstm.progress import StepProgressBar
from tests.conftest import numbered_vec_env, tiny_agent


class BarWatch(BaseCallback):
    """Notes, after the bar's own step, how far the bar has got."""

    def __init__(self, bar: StepProgressBar) -> None:
        super().__init__()
        self.progress_bar, self.seen = bar, []

    def _on_step(self) -> bool:
        self.seen.append((self.num_timesteps, self.progress_bar.bar.n))
        return True


def test_the_bar_advances_with_the_steps_taken_and_closes_at_the_end():
    model, bar = tiny_agent(numbered_vec_env(2)), StepProgressBar()
    watch = BarWatch(bar)
    model.learn(32, callback=CallbackList([bar, watch]))
    assert watch.seen == [(steps, steps) for steps in range(2, 33, 2)]  # (model, bar) steps
    assert bar.bar.total == 32 and bar.bar.disable  # closed
    assert bar.bar.unit == "step"


def test_the_total_is_rounded_up_to_whole_rollouts_as_training_runs_them():
    model, bar = tiny_agent(numbered_vec_env(2)), StepProgressBar()  # rollouts of 8 x 2 steps
    model.learn(20, callback=bar)
    assert model.num_timesteps == 32 and bar.bar.total == 32 and bar.bar.n == 32


def test_a_resumed_runs_bar_starts_at_its_step_and_ends_at_the_total():
    model = tiny_agent(numbered_vec_env())
    model.learn(16)
    bar = StepProgressBar()
    watch = BarWatch(bar)
    model.learn(32, callback=CallbackList([bar, watch]), reset_num_timesteps=False)
    assert bar.bar.initial == 16 and bar.bar.total == 48
    assert watch.seen[0] == (17, 17) and watch.seen[-1] == (48, 48)


def test_the_bar_shows_the_mean_recent_return():
    model, bar = tiny_agent(numbered_vec_env()), StepProgressBar()
    model.learn(16, callback=bar)  # 2-step episodes returning 1, 2 ... 8
    assert bar.bar.postfix == "ret=4.5"


def test_learn_with_progress_bar_draws_this_bar_and_keeps_the_users_callbacks(capsys):
    model, watch = tiny_agent(numbered_vec_env(2)), []

    def user_callback(local_vars, global_vars) -> bool:
        watch.append(local_vars["self"].num_timesteps)
        return True

    model.learn(20, callback=user_callback, progress_bar=True)
    drawn = capsys.readouterr().err
    assert "32.0/32.0" in drawn and "step/s" in drawn and "it/s" not in drawn
    assert watch == list(range(2, 33, 2))
