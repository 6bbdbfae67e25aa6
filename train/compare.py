"""`python -m train.compare RUN_DIRS... | --wandb-project P [--group G]`: compare runs.

Learning curves (episodic return against env steps), one panel per env and one line per
algorithm (and experiment), mean and a ±1 std band over seeds, saved as PNG; and a markdown
table of final and best returns. Run directories work offline; W&B runs need the network.
Examples::

    python -m train.compare runs/                      # every run directory under runs/
    python -m train.compare runs/a runs/b --output tmaze.png
    python -m train.compare --wandb-project rl_lstm --group TMaze-v0/rl_lstm/default
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from train.config import TrainConfig
from train.errors import UsageError, exits_on_usage_error
from train.run_dir import RunDir

STEP, TRAIN_RETURN, EVAL_RETURN = "time/total_timesteps", "rollout/ep_rew_mean", "eval/mean_reward"


@dataclass(frozen=True)
class Curve:
    """Returns of one run (one seed) against env steps: training episodes and evaluations."""

    env: str
    label: str
    seed: int
    train: pd.Series
    evaluation: pd.Series


def _series(frame: pd.DataFrame, step: str, value: str) -> pd.Series:
    if value not in frame or step not in frame:
        return pd.Series(dtype=float)
    rows = frame[[step, value]].dropna()
    return pd.Series(rows[value].to_numpy(float), index=rows[step].to_numpy(float))


def _label(algo: str, exp_name: str) -> str:
    return algo if exp_name in ("default", "") else f"{algo} ({exp_name})"


def curves_from_run_dirs(paths: Sequence[Path]) -> list[Curve]:
    """One curve per run directory; a directory of run directories counts as all of them."""
    runs = []
    for path in paths:
        children = sorted(p.parent for p in path.glob("*/config.json"))
        if children:
            runs.extend(RunDir(child) for child in children)
        else:
            runs.append(RunDir.find(path))
    curves = []
    for run in runs:
        if not run.metrics.is_file():
            print(f"note: {run.path} has no metrics.csv yet: skipped")
            continue
        cfg = TrainConfig.load(run.config)
        metrics = pd.read_csv(run.metrics)
        curves.append(
            Curve(
                env=cfg.env,
                label=_label(cfg.algo, cfg.exp_name),
                seed=cfg.seed,
                train=_series(metrics, STEP, TRAIN_RETURN),
                evaluation=_series(metrics, STEP, EVAL_RETURN),
            )
        )
    return curves


def curves_from_wandb(project: str, entity: str | None, group: str | None) -> list[Curve]:
    """One curve per W&B run of the project (and group), read through the W&B API."""
    import wandb

    path = f"{entity}/{project}" if entity else project
    try:
        runs = list(wandb.Api().runs(path, filters={"group": group} if group else None))
    except Exception as error:
        raise UsageError(f"cannot list W&B runs of {path}: {error}") from None
    curves = []
    for run in runs:
        config = run.config
        history = run.history(keys=["global_step", TRAIN_RETURN], pandas=True, samples=2000)
        evaluations = run.history(keys=["global_step", EVAL_RETURN], pandas=True, samples=2000)
        curves.append(
            Curve(
                env=config.get("env", "?"),
                label=_label(config.get("algo", "?"), config.get("exp_name", "")),
                seed=config.get("seed", 0),
                train=_series(history, "global_step", TRAIN_RETURN),
                evaluation=_series(evaluations, "global_step", EVAL_RETURN),
            )
        )
    return curves


def mean_and_spread(series: Sequence[pd.Series], points: int = 200) -> pd.DataFrame:
    """Seeds interpolated on a common step grid (each within its own range): mean and std."""
    series = [s for s in series if len(s)]
    grid = np.linspace(0, max(s.index.max() for s in series), points)
    values = np.array(
        [np.interp(grid, s.index, s.to_numpy(), left=np.nan, right=np.nan) for s in series]
    )
    counted = np.sum(~np.isnan(values), axis=0)
    with np.errstate(invalid="ignore"):
        mean = np.nansum(values, axis=0) / np.maximum(counted, 1)
        std = np.sqrt(np.nansum((values - mean) ** 2, axis=0) / np.maximum(counted, 1))
    keep = counted > 0
    return pd.DataFrame({"mean": mean[keep], "std": std[keep]}, index=grid[keep])


def plot(curves: Sequence[Curve], output: Path) -> Path:
    """Learning curves, one panel per env, saved as PNG."""
    envs = sorted({c.env for c in curves})
    columns = min(3, len(envs))
    rows = -(-len(envs) // columns)
    figure = Figure(figsize=(6 * columns, 4 * rows))
    axes = figure.subplots(rows, columns, squeeze=False)
    for axis, env in zip(axes.flat, envs, strict=False):
        for label in sorted({c.label for c in curves if c.env == env}):
            group = [c.train for c in curves if c.env == env and c.label == label]
            seeds = sum(1 for s in group if len(s))
            if not seeds:
                continue
            stats = mean_and_spread(group)
            axis.plot(stats.index, stats["mean"], label=f"{label} ({seeds} seeds)")
            axis.fill_between(
                stats.index, stats["mean"] - stats["std"], stats["mean"] + stats["std"], alpha=0.25
            )
        axis.set_title(env)
        axis.set_xlabel("env steps")
        axis.set_ylabel("episodic return")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    for axis in list(axes.flat)[len(envs) :]:
        axis.set_visible(False)
    figure.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=120)
    return output


def _mean_std(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.4g}" if values else "-"
    return f"{np.mean(values):.4g} ± {np.std(values):.2g}"


def table(curves: Sequence[Curve]) -> str:
    """Markdown table: per env and algorithm, final training return and best evaluation return."""
    lines = [
        "| env | algo | seeds | steps | final return | best eval return |",
        "|---|---|---|---|---|---|",
    ]
    for env, label in sorted({(c.env, c.label) for c in curves}):
        group = [c for c in curves if (c.env, c.label) == (env, label)]
        final = [float(c.train.iloc[-1]) for c in group if len(c.train)]
        best = [float(c.evaluation.max()) for c in group if len(c.evaluation)]
        steps = max((float(c.train.index.max()) for c in group if len(c.train)), default=0)
        lines.append(
            f"| {env} | {label} | {len(group)} | {steps:,.0f} | {_mean_std(final)} "
            f"| {_mean_std(best)} |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m train.compare",
        description="Compare runs: learning curves (PNG) and a markdown table.",
    )
    parser.add_argument("runs", nargs="*", type=Path, help="run directories (or their parents)")
    parser.add_argument("--wandb-project", help="read the runs of this W&B project instead")
    parser.add_argument("--wandb-entity", help="W&B entity of the project")
    parser.add_argument("--group", help="only W&B runs of this group")
    parser.add_argument("--output", type=Path, help="PNG path (default: compare-<time>.png)")
    args = parser.parse_args(argv)
    if bool(args.runs) == bool(args.wandb_project):
        parser.error("give run directories or --wandb-project (one of the two)")
    return args


@exits_on_usage_error
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m train.compare`."""
    args = parse_args(argv)
    if args.wandb_project:
        curves = curves_from_wandb(args.wandb_project, args.wandb_entity, args.group)
    else:
        curves = curves_from_run_dirs(args.runs)
    if not any(len(c.train) for c in curves):
        raise UsageError("no episodic returns found in these runs (have they finished an episode?)")
    output = args.output or Path(f"compare-{time.strftime('%Y%m%d-%H%M%S')}.png")
    print(table(curves))
    print(f"\nlearning curves: {plot(curves, output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
