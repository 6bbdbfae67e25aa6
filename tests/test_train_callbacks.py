"""Tests of the training callbacks: periodic evaluation and checkpoints, in-trial curves, Ctrl-C."""

from __future__ import annotations

import signal
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.logger import KVWriter, Logger

from rl_lstm import RecurrentPPO
from tests.conftest import numbered_vec_env, tiny_agent
from train.callbacks import Evaluation, StopOnInterrupt, TrialCurves
from train.run_dir import RunDir


class Dumps(KVWriter):
    """Keeps every (step, values) the logger dumps."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, dict]] = []

    def write(self, key_values: dict, key_excluded: dict, step: int = 0) -> None:
        self.rows.append((step, dict(key_values)))

    def having(self, key: str) -> list[tuple[int, dict]]:
        return [(step, values) for step, values in self.rows if key in values]


def tiny_model(n_envs: int = 1, **env_kwargs) -> tuple[RecurrentPPO, Dumps]:
    """A tiny agent on numbered episodes (returns 1, 2, 3 ...), its logger kept in memory."""
    model = tiny_agent(numbered_vec_env(n_envs, **env_kwargs))
    dumps = Dumps()
    model.set_logger(Logger(folder=None, output_formats=[dumps]))
    return model, dumps


def checkpoint_step(path: Path) -> int:
    return RecurrentPPO.load(path, device="cpu").num_timesteps


def test_evaluation_runs_at_the_first_step_at_or_past_each_multiple_of_eval_freq(tmp_path):
    model, dumps = tiny_model(n_envs=3)  # 3 steps per env step
    evaluation = Evaluation(numbered_vec_env(), RunDir(tmp_path), eval_freq=10, n_episodes=1)
    model.learn(48, callback=evaluation)
    assert [step for step, _ in dumps.having("eval/mean_reward")] == [12, 21, 30, 42]
    assert evaluation.last_eval_at == 42


class StopAtSecondEvaluation(BaseCallback):
    """Keeps the results its parent evaluation gives it; stops training at the second."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, float]] = []

    def _on_step(self) -> bool:
        self.seen.append((self.parent.last_eval_at, self.parent.last_mean_return))
        return len(self.seen) < 2


def test_the_callback_after_each_evaluation_sees_its_result_and_may_stop_training(tmp_path):
    model, dumps = tiny_model()
    after = StopAtSecondEvaluation()
    evaluation = Evaluation(
        numbered_vec_env(), RunDir(tmp_path), eval_freq=8, n_episodes=1, callback_after_eval=after
    )
    model.learn(64, callback=evaluation)
    logged = [
        (step, values["eval/mean_reward"]) for step, values in dumps.having("eval/mean_reward")
    ]
    assert after.seen == logged == [(8, 1.0), (16, 2.0)]
    assert model.num_timesteps == 16


def test_a_resumed_run_evaluates_from_the_next_multiple_after_its_step(tmp_path):
    model, dumps = tiny_model()
    model.learn(8)
    evaluation = Evaluation(numbered_vec_env(), RunDir(tmp_path), eval_freq=6, n_episodes=1)
    model.learn(16, callback=evaluation, reset_num_timesteps=False)
    assert [step for step, _ in dumps.having("eval/mean_reward")] == [12, 18, 24]


def test_evaluation_logs_mean_spread_length_and_best_return_of_its_episodes(tmp_path):
    model, dumps = tiny_model()
    evaluation = Evaluation(numbered_vec_env(length=2), RunDir(tmp_path), 8, n_episodes=3)
    model.learn(24, callback=evaluation)
    rows = dumps.having("eval/mean_reward")
    assert [step for step, _ in rows] == [8, 16, 24]
    for (step, values), returns in zip(rows, ([1, 2, 3], [4, 5, 6], [7, 8, 9]), strict=True):
        assert values["time/total_timesteps"] == step
        assert values["eval/mean_reward"] == np.mean(returns)
        assert values["eval/std_reward"] == pytest.approx(np.std(returns))
        assert values["eval/mean_ep_length"] == 2.0
        assert values["eval/best_mean_reward"] == np.mean(returns)
        assert not any(key.startswith("eval/trial_") for key in values)
    assert evaluation.videos == [] and not RunDir(tmp_path).videos.exists()


@pytest.mark.parametrize(
    ("sign", "best_at", "best_so_far"),
    [(1.0, 24, [2.0, 5.0, 8.0]), (-1.0, 8, [-2.0, -2.0, -2.0])],  # mean returns 2, 5, 8 x sign
)
def test_the_best_checkpoint_is_saved_only_when_the_mean_return_improves(
    tmp_path, sign, best_at, best_so_far
):
    model, dumps = tiny_model()
    run = RunDir(tmp_path)
    evaluation = Evaluation(numbered_vec_env(length=2, sign=sign), run, 8, n_episodes=3)
    model.learn(24, callback=evaluation)
    assert [values["eval/best_mean_reward"] for _, values in dumps.having("eval/mean_reward")] == (
        best_so_far
    )
    assert evaluation.best_mean_return == best_so_far[-1] and evaluation.best_at == best_at
    assert checkpoint_step(run.best) == best_at
    assert checkpoint_step(run.latest) == 24


def test_a_resumed_runs_best_is_kept_until_beaten_and_evaluate_returns_the_mean(tmp_path):
    model, dumps = tiny_model()
    run = RunDir(tmp_path)
    evaluation = Evaluation(numbered_vec_env(), run, 8, n_episodes=3, best_mean_return=100.0)
    evaluation.init_callback(model)
    assert evaluation.evaluate() == 2.0  # returns 1, 2, 3
    assert evaluation.best_mean_return == 100.0 and evaluation.best_at is None
    assert run.latest.is_file() and not run.best.exists()
    ((_, values),) = dumps.rows
    assert values["eval/best_mean_reward"] == 100.0


def test_evaluation_on_a_trial_env_plays_whole_trials_and_logs_returns_by_position(tmp_path):
    model, dumps = tiny_model()
    eval_env = numbered_vec_env(length=1, episodes_per_trial=2)
    evaluation = Evaluation(eval_env, RunDir(tmp_path), 8, n_episodes=3)
    evaluation.init_callback(model)
    assert evaluation.evaluate() == 2.5  # 3 asked, 4 played to end the 2nd trial: 1, 2, 3, 4
    ((_, values),) = dumps.rows
    assert values["eval/trial_episode_1_return"] == 2.0  # episodes 1 and 3
    assert values["eval/trial_episode_2_return"] == 3.0  # episodes 2 and 4
    assert values["eval/mean_trial_return"] == 5.0  # trials of 1 + 2 and 3 + 4


def test_evaluation_with_video_films_the_first_episode_of_each_evaluation(tmp_path):
    model, _ = tiny_model()
    run = RunDir(tmp_path)
    eval_env = numbered_vec_env(length=3, render_mode="rgb_array")
    evaluation = Evaluation(eval_env, run, 8, n_episodes=2, capture_video=True)
    model.learn(16, callback=evaluation)
    expected = [run.videos / "eval_000000008.mp4", run.videos / "eval_000000016.mp4"]
    assert evaluation.videos == expected
    assert sorted(run.videos.iterdir()) == expected
    for video in expected:
        assert len(imageio.mimread(video, memtest=False)) == 3  # one 3-step episode


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        # Per env, rollout 1 ends episodes 1-4 (trials 1+2, 3+4), rollout 2 episodes 5-8.
        (100, [(16, 2.0, 3.0, 5.0), (32, 4.0, 5.0, 9.0)]),
        (1, [(16, 3.0, 4.0, 7.0), (32, 7.0, 8.0, 15.0)]),  # only the last of each
    ],
)
def test_trial_curves_log_training_returns_by_position_at_each_rollout_end(window, expected):
    model, dumps = tiny_model(n_envs=2, length=2, episodes_per_trial=2)
    model.learn(32, callback=TrialCurves(window))
    rows = dumps.having("rollout/trial_episode_1_return")
    assert [
        (
            step,
            values["rollout/trial_episode_1_return"],
            values["rollout/trial_episode_2_return"],
            values["rollout/mean_trial_return"],
        )
        for step, values in rows
    ] == expected


class RaiseSigint(BaseCallback):
    """Sends SIGINT to this process ``times`` times at step ``at``; notes the handler in force."""

    def __init__(self, at: int, times: int = 1) -> None:
        super().__init__()
        self.at, self.times = at, times
        self.handler_during_training = None

    def _on_step(self) -> bool:
        if self.num_timesteps == self.at:
            self.handler_during_training = signal.getsignal(signal.SIGINT)
            for _ in range(self.times):
                signal.raise_signal(signal.SIGINT)
        return True


def previous_handler(_signum, _frame) -> None:
    """The handler a program had before training (never called: StopOnInterrupt replaces it)."""
    raise AssertionError("SIGINT reached the handler that training should have replaced")


@pytest.fixture
def sigint_handler():
    original = signal.signal(signal.SIGINT, previous_handler)
    yield
    signal.signal(signal.SIGINT, original)


def test_ctrl_c_stops_learn_after_the_current_step_and_restores_the_previous_handler(
    sigint_handler, capsys
):
    model, _ = tiny_model()
    sender, stop = RaiseSigint(at=13), StopOnInterrupt()
    model.learn(64, callback=CallbackList([sender, stop]))
    assert stop.interrupted and model.num_timesteps == 13
    assert sender.handler_during_training not in (previous_handler, signal.default_int_handler)
    assert signal.getsignal(signal.SIGINT) is previous_handler
    assert "Ctrl-C: stopping after this step and saving a checkpoint" in capsys.readouterr().out


def test_training_without_ctrl_c_runs_to_its_budget(sigint_handler):
    model, _ = tiny_model()
    stop = StopOnInterrupt()
    model.learn(24, callback=stop)
    assert not stop.interrupted and model.num_timesteps == 24
    assert signal.getsignal(signal.SIGINT) is previous_handler


def test_a_second_ctrl_c_aborts_at_once(sigint_handler):
    model, _ = tiny_model()
    with pytest.raises(KeyboardInterrupt):
        model.learn(64, callback=CallbackList([RaiseSigint(at=5, times=2), StopOnInterrupt()]))
    assert model.num_timesteps == 5
    assert signal.getsignal(signal.SIGINT) is previous_handler


class Crash(BaseCallback):
    def _on_step(self) -> bool:
        raise RuntimeError("the env crashed")


def test_restore_puts_the_previous_handler_back_after_learn_raised(sigint_handler):
    model, _ = tiny_model()
    stop = StopOnInterrupt()
    with pytest.raises(RuntimeError, match="the env crashed"):
        model.learn(64, callback=CallbackList([stop, Crash()]))
    # SB3 skips the end of training when learn raises: the handler is still training's.
    assert signal.getsignal(signal.SIGINT) is not previous_handler
    stop.restore()
    assert signal.getsignal(signal.SIGINT) is previous_handler
