"""`python -m train.benchmark suite`: every task trained with its preset, rl_lstm against the
baselines at the same budget and settings, over seeds.

Each run is an ordinary `train.ppo` run directory under ``--run-dir``; a run already finished
there (same env, algorithm, seed, budget and settings) is skipped and an unfinished one
resumed, so the command picks up a partly done table; a run of an older preset is not reused.
For each task and algorithm the table gives the final deterministic evaluation return, its
place from the task's memoryless score (0) to perfect memory (1) on each seed, the steps and
the wall time; learning curves come from train.compare.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib.util
import math
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import envs
from envs.scoring import REFERENCE_SCORES
from train import compare, ppo
from train.arguments import changed_settings, parse_args
from train.config import ALGOS, TrainConfig
from train.env_factory import resolve_env_id
from train.errors import UsageError, exits_on_usage_error
from train.metrics_csv import read_metrics
from train.presets import preset_for
from train.run_dir import RunDir

POPGYM = "popgym"
INTERRUPTED = 130  # train.ppo's exit code after Ctrl-C (its checkpoint saved)
STEP, ELAPSED = "time/total_timesteps", "time/time_elapsed"
EVAL_RETURN, TRIAL_RETURN = "eval/mean_reward", "eval/mean_trial_return"


def popgym_easy_tasks() -> list[str]:
    """POPGym's Easy tasks as ``popgym:<id>`` (the labyrinths need popgym's navigation extra)."""
    if importlib.util.find_spec(POPGYM) is None:
        raise UsageError("--tasks popgym needs popgym: pip install 'rl_lstm[third-party-envs]'")
    from popgym.envs import ALL_EASY, has_mazelib

    if not has_mazelib():
        print(
            "note: popgym's LabyrinthEscape and LabyrinthExplore need mazelib "
            "(pip install 'popgym[navigation]'): left out"
        )
    return [f"{POPGYM}:{spec['id']}" for spec in ALL_EASY.values()]


def select_tasks(patterns: Sequence[str]) -> list[str]:
    """The task ids that ``patterns`` name: registered tasks by name or glob, ``popgym`` for
    POPGym's Easy tasks, or any other Gymnasium id."""
    selected: list[str] = []
    for pattern in patterns:
        if pattern == POPGYM:
            matches = popgym_easy_tasks()
        elif any(char in pattern for char in "*?["):
            matches = fnmatch.filter(envs.TASKS, pattern)
            if not matches:
                raise UsageError(
                    f"--tasks {pattern!r} matches no task; tasks: {', '.join(envs.TASKS)}, {POPGYM}"
                )
        else:
            resolve_env_id(pattern)  # a clear error for an unknown id
            matches = [pattern]
        selected += [task for task in matches if task not in selected]
    return selected


@dataclass(frozen=True)
class Result:
    """One finished run: its final deterministic evaluation, steps and wall seconds (SB3's
    ``time/time_elapsed``: from the start of training to its last update, evaluations included)."""

    run: RunDir
    eval_return: float
    steps: int
    seconds: float


def final_evaluation(run: RunDir) -> tuple[int, float] | None:
    """Step and return of the run's last evaluation (the trial total on tasks with trials)."""
    metrics = read_metrics(run.metrics)
    if EVAL_RETURN not in metrics:
        return None
    evaluations = metrics.dropna(subset=[EVAL_RETURN])
    if evaluations.empty:
        return None
    last = evaluations.loc[evaluations[STEP].idxmax()]
    value = last.get(TRIAL_RETURN, math.nan)
    return int(last[STEP]), float(last[EVAL_RETURN] if math.isnan(value) else value)


def result_of(run: RunDir) -> Result | None:
    """The run's result if it has trained its whole budget and evaluated at the end."""
    evaluation = final_evaluation(run)
    cfg = TrainConfig.load(run.config)
    if evaluation is None or evaluation[0] < cfg.total_timesteps:
        return None
    metrics = read_metrics(run.metrics)
    seconds = float(metrics[ELAPSED].max()) if ELAPSED in metrics else math.nan
    return Result(run, evaluation[1], evaluation[0], seconds)


def new_run_config(
    task: str, algo: str, seed: int, budget: int, settings: Sequence[str] = ()
) -> TrainConfig | None:
    """The config `train.ppo` gives a new run of this task, algorithm, seed and budget with the
    flags ``settings`` (and today's preset); None where it refuses them (it says why when run)."""
    argv = ["--env", task, "--algo", algo, "--seed", str(seed), "--total-timesteps", str(budget)]
    try:
        return parse_args([*argv, *settings], check=False).config
    except (SystemExit, UsageError):
        return None


def runs_and_changes(
    root: Path, task: str, algo: str, seed: int, budget: int, settings: Sequence[str] = ()
) -> list[tuple[RunDir, list[tuple[str, Any, Any]]]]:
    """Run directories under ``root`` of this task, algorithm, seed and budget, oldest first,
    each with the settings in which it differs from a new run's (see :func:`new_run_config`)."""
    expected = new_run_config(task, algo, seed, budget, settings)
    if expected is None:
        return []
    found = []
    for config in sorted(root.glob("*/config.json")):
        cfg = TrainConfig.load(config)
        if (cfg.env, cfg.algo, cfg.seed, cfg.total_timesteps) == (task, algo, seed, budget):
            found.append((RunDir(config.parent), changed_settings(cfg, expected)))
    return found


def runs_of(
    root: Path, task: str, algo: str, seed: int, budget: int, settings: Sequence[str] = ()
) -> list[RunDir]:
    """Run directories under ``root`` of this task, algorithm, seed and budget made with the
    settings a new run gets now, oldest first: a run of an older preset is not reused."""
    found = runs_and_changes(root, task, algo, seed, budget, settings)
    return [run for run, changes in found if not changes]


def train_once(
    root: Path,
    task: str,
    algo: str,
    seed: int,
    budget: int,
    common: Sequence[str],
    settings: Sequence[str] = (),
) -> int:
    """Finish this run: resume the unfinished run of it that has a checkpoint, else start one
    with the `train.ppo` flags ``settings`` (a resumed run keeps its own); return train.ppo's
    exit code."""
    runs = runs_of(root, task, algo, seed, budget, settings)
    resumable = [run for run in runs if run.latest.is_file()]
    if resumable:
        argv = ["--resume", str(resumable[-1].path)]
    else:
        argv = ["--env", task, "--algo", algo, "--seed", str(seed), "--run-dir", str(root)]
        argv += settings
    argv += ["--total-timesteps", str(budget), *common]
    try:
        return ppo.main(argv)
    except SystemExit as exit:  # a usage error, already reported
        return int(exit.code or 0)
    except Exception:  # a run that breaks (an env's bug, say) costs the table that run only
        traceback.print_exc()
        return 1


class Stopped(Exception):
    """Ctrl-C stopped a run (its checkpoint saved): the command stops, to go on when run again."""


def finished_run(
    root: Path,
    task: str,
    algo: str,
    seed: int,
    budget: int,
    common: Sequence[str],
    label: str,
    settings: Sequence[str] = (),
) -> Result | None:
    """The run's result: skipped when a finished one is under ``root``, else trained (or
    resumed) with :func:`train_once`; None when training failed. Raises :class:`Stopped`."""
    current = []
    for run, changes in runs_and_changes(root, task, algo, seed, budget, settings):
        if changes:
            differences = ", ".join(f"{name} {old!r}, now {new!r}" for name, old, new in changes)
            print(f"note: {run.path} is not reused: made with other settings ({differences})")
        else:
            current.append(run)
    finished = [r for r in map(result_of, current) if r]
    if finished:
        print(f"{label}: done in {finished[0].run.path}, skipped")
        return finished[0]
    print(f"\n{label}: training")
    code = train_once(root, task, algo, seed, budget, common, settings)
    if code == INTERRUPTED:
        print(f"\nstopped at {label}; run the same command again to go on")
        raise Stopped(label)
    finished = [r for r in map(result_of, runs_of(root, task, algo, seed, budget, settings)) if r]
    if not finished:
        print(f"{label}: failed (exit code {code}), left out of the table")
        return None
    return finished[0]


def mean_std(values: Sequence[float], digits: int = 4) -> str:
    """``mean ± std`` of ``values``, or the value alone for one."""
    if len(values) == 1:
        return f"{values[0]:.{digits}g}"
    return f"{np.mean(values):.{digits}g} ± {np.std(values):.2g}"


def table(results: dict[tuple[str, str], list[Result]], seeds: int) -> str:
    """Markdown table: per task and algorithm, over seeds, the final evaluation return, its
    normalised place per seed, steps and wall time."""
    lines = [
        "| task | algo | seeds | steps | eval return | normalised (per seed) | wall s per run |",
        "|---|---|---|---|---|---|---|",
    ]
    for (task, algo), done in results.items():
        if not done:
            lines.append(f"| {task} | {algo} | 0/{seeds} | - | - | - | - |")
            continue
        returns = [result.eval_return for result in done]
        scores = REFERENCE_SCORES.get(task)
        normalised = (
            ", ".join(f"{scores.normalise(value):.2f}" for value in returns) if scores else "-"
        )
        steps = max(result.steps for result in done)
        seconds = np.mean([result.seconds for result in done])
        lines.append(
            f"| {task} | {algo} | {len(done)}/{seeds} | {steps:,} | {mean_std(returns)} "
            f"| {normalised} | {seconds:.0f} |"
        )
    return "\n".join(lines)


def add_seed_arguments(parser: argparse.ArgumentParser, per: str) -> None:
    """``--seeds N`` and ``--start-seed S`` (seeds S .. S+N-1), as in CleanRL's benchmark: a
    table can be split over several commands, or given more seeds later."""
    parser.add_argument("--seeds", type=int, default=3, help=f"seeds per {per} and algo")
    parser.add_argument("--start-seed", type=int, default=0, help="the first seed (default: 0)")


def seeds_of(args: argparse.Namespace) -> range:
    """The seeds that ``--seeds`` and ``--start-seed`` name; a usage error if they name none."""
    if args.seeds < 1 or args.start_seed < 0:
        raise UsageError(
            f"--seeds {args.seeds} --start-seed {args.start_seed}: --seeds is a positive "
            "integer and --start-seed an integer >= 0"
        )
    return range(args.start_seed, args.start_seed + args.seeds)


@exits_on_usage_error
def suite(args: argparse.Namespace) -> int:
    """Train what is missing, then print and write the table and the learning curves."""
    seeds = seeds_of(args)
    if args.total_timesteps is not None and args.total_timesteps < 1:
        raise UsageError(f"--total-timesteps {args.total_timesteps}: a positive integer")
    tasks = select_tasks(args.tasks)
    root: Path = args.run_dir
    output: Path = args.output or root / "suite.md"
    common = ["--threads", str(args.threads), "--device", args.device]
    results: dict[tuple[str, str], list[Result]] = {}
    planned = [(task, algo) for task in tasks for algo in args.algos]
    total, count, failed = len(planned) * args.seeds, 0, 0
    for task, algo in planned:
        budget = args.total_timesteps or preset_for(task).total_timesteps
        results[task, algo] = []
        for seed in seeds:
            count += 1
            label = f"[{count}/{total}] {task} {algo} seed {seed}, {budget:,} steps"
            try:
                result = finished_run(root, task, algo, seed, budget, common, label)
            except Stopped:
                return INTERRUPTED
            if result is None:
                failed += 1
            else:
                results[task, algo].append(result)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(table(results, args.seeds) + "\n")
    print(f"\n{table(results, args.seeds)}\n\ntable: {output}")
    run_dirs = [result.run.path for done in results.values() for result in done]
    curves = compare.plot_run_dirs(run_dirs, output.with_suffix(".png"))
    if curves is not None:
        print(f"learning curves: {curves}")
    if failed:
        print(f"{failed} of {total} runs failed: see their messages above")
    return int(bool(failed))


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The ``suite`` subcommand of ``python -m train.benchmark``."""
    parser = commands.add_parser(
        "suite", help="every task with its preset: rl_lstm against the baselines, over seeds"
    )
    parser.add_argument(
        "--tasks",
        nargs="+",
        default=list(envs.TASKS),
        help=f"task ids or globs (e.g. 'TMaze-*'), '{POPGYM}' for POPGym's Easy tasks, or any "
        "Gymnasium id (default: every registered task)",
    )
    parser.add_argument("--algos", nargs="+", choices=ALGOS, default=list(ALGOS))
    add_seed_arguments(parser, "task")
    parser.add_argument(
        "--total-timesteps", type=int, help="one budget for every task (default: its preset's)"
    )
    parser.add_argument("--run-dir", type=Path, default=Path("runs/benchmark-suite"))
    parser.add_argument(
        "--output", type=Path, help="markdown table (default: <run-dir>/suite.md; curves .png)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
