"""Tests of the benchmarks: same settings for both agents, what the clock counts, the table."""

from __future__ import annotations

import itertools
import time
from types import SimpleNamespace

import pytest
import torch as th
from stable_baselines3.common.vec_env import VecNormalize

from train import benchmark


@pytest.mark.parametrize("config", sorted(benchmark.CONFIGS))
def test_both_agents_are_built_with_the_same_hyperparameters(config):
    ours, theirs = (
        benchmark.make_agent(name, config, seed=0) for name in ("rl_lstm", "sb3-contrib")
    )
    for name in ("n_steps", "batch_size", "n_epochs", "gamma", "gae_lambda", "ent_coef", "n_envs"):
        assert getattr(ours, name) == getattr(theirs, name), name
    for progress in (1.0, 0.5):
        assert ours.lr_schedule(progress) == theirs.lr_schedule(progress)
        assert ours.clip_range(progress) == theirs.clip_range(progress)
    for agent in (ours, theirs):
        assert isinstance(agent.env, VecNormalize)
        assert agent.policy.lstm_actor.hidden_size == 64
        assert agent.policy.lstm_critic is not None
        assert agent.policy.activation_fn is th.nn.ReLU
    assert str(ours.policy.mlp_extractor) == str(theirs.policy.mlp_extractor)


def fake_clock(read):
    """The benchmark's ``time`` module, its ``perf_counter`` replaced by ``read``."""
    return SimpleNamespace(perf_counter=read)


@pytest.mark.parametrize(("min_seconds", "runs"), [(4.0, 2), (4.5, 3)])
def test_steps_per_second_trains_again_until_it_has_trained_long_enough(
    monkeypatch, min_seconds, runs
):
    # A run reads the clock when training starts and when it ends: each run takes 2 s.
    monkeypatch.setattr(benchmark, "time", fake_clock(itertools.count(0.0, 2.0).__next__))
    rate, seconds, n_runs = benchmark.steps_per_second(
        "rl_lstm", "a", 0, 256, "cpu", min_seconds=min_seconds
    )
    assert (n_runs, seconds, rate) == (runs, 2.0 * runs, 256 / 2.0)


@pytest.fixture
def slow_evaluation(monkeypatch) -> SimpleNamespace:
    """Evaluations that take 1000 s on the benchmark's clock (the real one plus the time
    evaluations took), count themselves and return ``mean_return``."""
    evaluations = SimpleNamespace(mean_return=0.0, count=0, seconds=0.0)

    def evaluate_policy(*args, **kwargs):
        evaluations.count += 1
        evaluations.seconds += 1000.0
        return evaluations.mean_return, 0.0

    monkeypatch.setattr(benchmark, "evaluate_policy", evaluate_policy)
    monkeypatch.setattr(
        benchmark, "time", fake_clock(lambda: time.perf_counter() + evaluations.seconds)
    )
    return evaluations


def test_time_to_solve_stops_at_the_first_solved_evaluation_and_leaves_evaluations_out(
    slow_evaluation,
):
    slow_evaluation.mean_return = benchmark.SOLVED_RETURN
    steps, seconds = benchmark.time_to_solve("rl_lstm", 0, 4096, 256, 1, "cpu")
    assert (steps, slow_evaluation.count) == (256, 1)
    assert seconds < 100  # training only: the evaluation's 1000 s are left out


def test_time_to_solve_says_none_when_no_evaluation_reaches_the_threshold(slow_evaluation):
    slow_evaluation.mean_return = benchmark.SOLVED_RETURN - 1
    steps, seconds = benchmark.time_to_solve("rl_lstm", 0, 512, 256, 1, "cpu")
    assert (steps, slow_evaluation.count) == (None, 2)
    assert seconds < 100  # training only: both evaluations' 1000 s are left out


@pytest.fixture
def torch_threads():
    """The benchmark sets torch's thread count: put it back for the tests that follow."""
    threads = th.get_num_threads()
    yield
    th.set_num_threads(threads)


# Env-steps/s of each round (seeds 0, 1, 2), chosen so that the median of the rounds' ratios
# differs from the ratio of the medians: a 2.5x and 0.50, not 300 / 200 and 300 / 1000;
# b 1.5x and 0.60, not 90 / 50 and 90 / 200.
RATES = {
    "a": {"sb3-contrib": [100, 200, 400], "rl_lstm": [300, 300, 1000], "floor": [600, 1000, 2000]},
    "b": {"sb3-contrib": [50, 40, 60], "rl_lstm": [75, 160, 90], "floor": [300, 200, 150]},
}
RL_LSTM_RUNS = {"a": [1, 2, 3], "b": [2, 4, 2]}


def test_speed_prints_the_median_of_each_rounds_ratios_and_every_rounds_figures(
    monkeypatch, capsys, torch_threads
):
    calls = []

    def steps_per_second(name, config, seed, steps, device, min_seconds=0.0):
        calls.append((name, config, seed, min_seconds))
        rate = RATES[config][name][seed]
        if name == "sb3-contrib":
            return rate, seed + 1.0, 1  # seconds differ by round
        return rate, min_seconds, RL_LSTM_RUNS[config][seed]

    def compute_floor(config, device):
        past_rounds = calls.count(("floor", config))
        calls.append(("floor", config))
        return RATES[config]["floor"][past_rounds]

    monkeypatch.setattr(benchmark, "steps_per_second", steps_per_second)
    monkeypatch.setattr(benchmark, "compute_floor", compute_floor)
    monkeypatch.setattr("sys.argv", ["benchmark", "speed", "--repeats", "3", "--solve-seeds", "0"])
    benchmark.main()
    # Each round alternates: sb3-contrib, then rl_lstm for as long as sb3-contrib took, then
    # the floor.
    assert calls == [
        call
        for config in ("a", "b")
        for seed in range(3)
        for call in (
            ("sb3-contrib", config, seed, 0.0),
            ("rl_lstm", config, seed, seed + 1.0),
            ("floor", config),
        )
    ]
    lines = capsys.readouterr().out.splitlines()
    header = lines.index(
        "| config | sb3-contrib | rl_lstm | ratio | compute floor | rl_lstm / floor |"
    )
    a, b = benchmark.CONFIGS["a"], benchmark.CONFIGS["b"]
    assert lines[header + 2 : header + 4] == [
        f"| a {a} | 200 | 300 | 2.5x | 1000 | 0.50 |",
        f"| b {b} | 50 | 90 | 1.5x | 200 | 0.60 |",
    ]
    assert lines[-2:] == [
        "Round by round: a: ratio 3.0x, 1.5x, 2.5x, rl_lstm / floor 0.50, 0.30, 0.50; "
        "b: ratio 1.5x, 4.0x, 1.5x, rl_lstm / floor 0.25, 0.80, 0.60",
        "rl_lstm runs per round: 1 to 4",
    ]


def test_trial_config_is_the_preset_with_the_task_changes_memory_and_budget():
    task = benchmark.TRIAL_TASKS["maze"]
    cfg = benchmark.trial_config(task, "episode", seed=3, steps=None)
    assert (cfg.env, cfg.env_kwargs, cfg.seed, cfg.memory) == (
        task.env,
        task.env_kwargs,
        3,
        "episode",
    )
    for name, value in task.changes.items():
        assert getattr(cfg, name) == value, name
    assert benchmark.trial_config(task, "trial", seed=0, steps=5000).total_timesteps == 5000
