"""Tests of the benchmarks: same settings for both agents, what the clock counts, the table."""

from __future__ import annotations

import re
import time

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


def test_steps_per_second_trains_again_until_it_has_trained_long_enough():
    _, one_run, runs = benchmark.steps_per_second("rl_lstm", "a", 0, 256, "cpu")
    assert runs == 1
    rate, seconds, runs = benchmark.steps_per_second(
        "rl_lstm", "a", 0, 256, "cpu", min_seconds=2.5 * one_run
    )
    assert runs >= 2
    assert seconds >= 2.5 * one_run
    assert rate == runs * 256 / seconds


@pytest.fixture
def slow_evaluation(monkeypatch):
    """Evaluations that take a second and return the mean return set in the dict."""
    result = {"mean_return": 0.0}

    def evaluate_policy(*args, **kwargs):
        time.sleep(1.0)
        return result["mean_return"], 0.0

    monkeypatch.setattr(benchmark, "evaluate_policy", evaluate_policy)
    return result


def test_time_to_solve_stops_at_the_first_solved_evaluation_and_leaves_evaluations_out(
    slow_evaluation,
):
    slow_evaluation["mean_return"] = benchmark.SOLVED_RETURN
    started = time.perf_counter()
    steps, seconds = benchmark.time_to_solve("rl_lstm", 0, 4096, 256, 1, "cpu")
    wall = time.perf_counter() - started
    assert steps == 256
    assert wall - seconds >= 1.0  # the one evaluation is not training time


def test_time_to_solve_says_none_when_no_evaluation_reaches_the_threshold(slow_evaluation):
    slow_evaluation["mean_return"] = benchmark.SOLVED_RETURN - 1
    started = time.perf_counter()
    steps, seconds = benchmark.time_to_solve("rl_lstm", 0, 512, 256, 1, "cpu")
    assert steps is None
    assert time.perf_counter() - started - seconds >= 2.0  # two evaluations, both left out


@pytest.fixture
def torch_threads():
    """The benchmark sets torch's thread count: put it back for the tests that follow."""
    threads = th.get_num_threads()
    yield
    th.set_num_threads(threads)


def test_speed_prints_one_row_per_config_whose_ratios_match_its_figures(
    monkeypatch, capsys, torch_threads
):
    monkeypatch.setattr(
        "sys.argv", ["benchmark", "speed", "--steps", "256", "--repeats", "1", "--solve-seeds", "0"]
    )
    benchmark.main()
    out = capsys.readouterr().out
    assert "1 torch thread(s), device cpu" in out
    rows = re.findall(
        r"^\| (\w) \{.*\} \| (\d+) \| (\d+) \| ([\d.]+)x \| (\d+) \| ([\d.]+) \|$", out, re.M
    )
    assert [row[0] for row in rows] == list(benchmark.CONFIGS)
    for _, theirs, ours, ratio, floor, floor_share in rows:
        # One round: the ratios are those of the printed (rounded) figures.
        assert float(ratio) == pytest.approx(int(ours) / int(theirs), abs=0.06)
        assert float(floor_share) == pytest.approx(int(ours) / int(floor), abs=0.006)
    assert re.search(r"rl_lstm runs per round: \d+ to \d+", out)


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
