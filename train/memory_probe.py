"""`python -m train.benchmark memory`: how far each agent's memory reaches, as the success rate
on MemoryChain against its gap length L.

For each L every algorithm trains at the same settings and budget (MemoryChain's preset, with the
rollout grown to hold a whole episode, see :func:`settings_for`), over seeds; each run is an
ordinary `train.ppo` run directory under ``<run-dir>/length-<L>/`` and the suite's machinery skips
finished runs and resumes unfinished ones. The success rate is the share of the final
deterministic evaluation's episodes answered correctly: each episode returns +1 or -1, so it is
(mean return + 1) / 2 exactly; chance is 0.5.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from train import compare, suite
from train.config import ALGOS
from train.errors import UsageError, exits_on_usage_error

ENV = "MemoryChain-v0"
DEFAULT_LENGTHS = (10, 30, 100, 300, 1000)
PRESET_STEPS = 128  # MemoryChain's preset rollout per env (batch 256: 4 minibatches of 8 x 128)
MIN_BUDGET, EPISODES_PER_BUDGET = 200_000, 2000
EVALUATIONS = 5  # per run: the curve's points; the last, at the end, gives the success rate
SOLVED = 0.9


def n_steps_for(length: int) -> int:
    """The rollout per env: the smallest multiple of the preset's 128 steps that holds a whole
    episode (``length + 1`` steps), so that the cue and its answer can lie in one sequence."""
    return PRESET_STEPS * math.ceil((length + 1) / PRESET_STEPS)


def budget_for(length: int) -> int:
    """Default env steps per run: 2000 episodes, at least 200k steps (one answer per episode,
    so a longer gap gives fewer answers to learn from per step)."""
    return max(MIN_BUDGET, EPISODES_PER_BUDGET * (length + 1))


def settings_for(length: int, algo: str, budget: int) -> list[str]:
    """`train.ppo` flags of a run at gap ``length`` (the rest is MemoryChain's preset).

    The batch is a quarter of the rollout, as at the preset. rl_lstm's training sequences are
    whole rollouts and ``context`` is a rollout too: an answer's gradient then reaches back at
    least ``n_steps`` >= L + 1 steps, to its cue even where the cue fell in the previous rollout
    (sb3-contrib's stops at the rollout's start). ``gate_init="chrono"`` (the preset) then spreads
    the memories up to ``n_steps`` steps.
    """
    n_steps = n_steps_for(length)
    flags = ["--length", str(length), "--n-steps", str(n_steps), "--batch-size", str(2 * n_steps)]
    flags += ["--eval-freq", str(max(1, budget // EVALUATIONS))]
    if algo == "rl_lstm":
        flags += ["--context", str(n_steps)]
    return flags


def success_rate(result: suite.Result) -> float:
    """Share of evaluation episodes answered correctly (each returns +1 or -1)."""
    return (result.eval_return + 1.0) / 2.0


Results = dict[tuple[int, str], list[suite.Result]]


def longest_solved(results: Results, algo: str) -> int | None:
    """The longest gap at which ``algo``'s mean success over seeds reaches 0.9."""
    solved = [
        length
        for (length, name), done in results.items()
        if name == algo and done and np.mean([success_rate(r) for r in done]) >= SOLVED
    ]
    return max(solved, default=None)


def table(results: Results, seeds: int) -> str:
    """Markdown tables: success per gap and algorithm (mean ± std over seeds, and each seed),
    steps and wall time per run; then the longest gap each algorithm solves."""
    lines = [
        "| gap L | algo | seeds | steps | success | per seed | wall s per run |",
        "|---|---|---|---|---|---|---|",
    ]
    for (length, algo), done in results.items():
        if not done:
            lines.append(f"| {length} | {algo} | 0/{seeds} | - | - | - | - |")
            continue
        success = [success_rate(result) for result in done]
        steps = max(result.steps for result in done)
        seconds = np.mean([result.seconds for result in done])
        lines.append(
            f"| {length} | {algo} | {len(done)}/{seeds} | {steps:,} | {suite.mean_std(success, 2)} "
            f"| {', '.join(f'{value:.2f}' for value in success)} | {seconds:.0f} |"
        )
    lines += ["", f"| algo | longest L solved (mean success >= {SOLVED}) |", "|---|---|"]
    for algo in dict.fromkeys(algo for _, algo in results):
        longest = longest_solved(results, algo)
        lines.append(f"| {algo} | {longest if longest is not None else 'none'} |")
    return "\n".join(lines)


def plot(results: Results, output: Path) -> Path:
    """Success against gap length (log axis): mean ± std over seeds per algorithm, each seed a
    dot, with chance and the solved threshold marked."""
    figure = Figure(figsize=(7, 4.5))
    axis = figure.subplots()
    for algo in dict.fromkeys(algo for _, algo in results):
        points = [
            (length, [success_rate(result) for result in done])
            for (length, name), done in sorted(results.items())
            if name == algo and done
        ]
        if not points:
            continue
        lengths = [length for length, _ in points]
        means = [np.mean(success) for _, success in points]
        stds = [np.std(success) for _, success in points]
        line = axis.errorbar(lengths, means, yerr=stds, marker="o", capsize=3, label=algo)
        color = line[0].get_color()
        for length, success in points:
            axis.scatter([length] * len(success), success, s=10, alpha=0.4, color=color)
    axis.axhline(0.5, color="grey", linestyle=":", label="chance")
    axis.axhline(SOLVED, color="grey", linestyle="--", label=f"solved ({SOLVED})")
    axis.set_xscale("log")
    axis.set_ylim(0.0, 1.05)
    axis.set_xlabel("gap length L (steps between cue and answer)")
    axis.set_ylabel("success rate (deterministic evaluation)")
    axis.set_title(ENV)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=120)
    return output


@exits_on_usage_error
def memory(args: argparse.Namespace) -> int:
    """Train what is missing, then print and write the table, the success plot and each gap's
    learning curves."""
    if bad := [length for length in args.lengths if length < 1]:
        raise UsageError(
            f"--lengths {' '.join(map(str, bad))}: a gap length is an integer >= 1 (the steps "
            "between MemoryChain's cue and its answer)"
        )
    seeds = suite.seeds_of(args)
    if args.total_timesteps is not None and args.total_timesteps < 1:
        raise UsageError(f"--total-timesteps {args.total_timesteps}: a positive integer")
    root: Path = args.run_dir
    output: Path = args.output or root / "memory.md"
    common = ["--threads", str(args.threads), "--device", args.device]
    common += ["--eval-episodes", str(args.eval_episodes)]
    lengths = list(dict.fromkeys(args.lengths))
    results: Results = {}
    total, count, failed = len(lengths) * len(args.algos) * args.seeds, 0, 0
    for length in lengths:
        budget = args.total_timesteps or budget_for(length)
        length_root = root / f"length-{length}"
        for algo in args.algos:
            results[length, algo] = []
            settings = settings_for(length, algo, budget)
            for seed in seeds:
                count += 1
                label = f"[{count}/{total}] L={length} {algo} seed {seed}, {budget:,} steps"
                try:
                    result = suite.finished_run(
                        length_root, ENV, algo, seed, budget, common, label, settings
                    )
                except suite.Stopped:
                    return suite.INTERRUPTED
                if result is None:
                    failed += 1
                else:
                    results[length, algo].append(result)
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(table(results, args.seeds) + "\n")
        run_dirs = [r.run.path for (at, _), done in results.items() if at == length for r in done]
        compare.plot_run_dirs(run_dirs, length_root / "curves.png")
    print(f"\n{table(results, args.seeds)}\n\ntable: {output}")
    print(f"success against gap length: {plot(results, output.with_suffix('.png'))}")
    print(f"learning curves: {root}/length-<L>/curves.png")
    if failed:
        print(f"{failed} of {total} runs failed: see their messages above")
    return int(bool(failed))


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The ``memory`` subcommand of ``python -m train.benchmark``."""
    parser = commands.add_parser(
        "memory", help="success on MemoryChain against gap length, rl_lstm against the baselines"
    )
    parser.add_argument(
        "--lengths",
        nargs="+",
        type=int,
        default=list(DEFAULT_LENGTHS),
        help="gap lengths L, integers >= 1 (default: %(default)s; 3000 and more on request)",
    )
    parser.add_argument("--algos", nargs="+", choices=ALGOS, default=list(ALGOS))
    suite.add_seed_arguments(parser, "gap")
    parser.add_argument(
        "--total-timesteps",
        type=int,
        help="one budget for every gap (default: 2000 episodes, at least 200k steps)",
    )
    parser.add_argument(
        "--eval-episodes", type=int, default=100, help="episodes per evaluation (success ± 0.05)"
    )
    parser.add_argument("--run-dir", type=Path, default=Path("runs/benchmark-memory"))
    parser.add_argument(
        "--output", type=Path, help="markdown table (default: <run-dir>/memory.md; plot .png)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
