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
import dataclasses
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from train.config import RESUMABLE_FIELDS, TrainConfig
from train.errors import UsageError, exits_on_usage_error
from train.metrics_csv import read_metrics
from train.run_dir import RunDir

STEP, TRAIN_RETURN, EVAL_RETURN = "time/total_timesteps", "rollout/ep_rew_mean", "eval/mean_reward"


# Settings that do not change what a run learns: runs differing only in these are seeds of one
# configuration (a run's budget counts as its length, not as another configuration).
NOT_CONFIGURATION = RESUMABLE_FIELDS | {"seed", "env", "algo", "exp_name", "wandb_run_id"}


@dataclass(frozen=True)
class Curve:
    """Returns of one run (one seed) against env steps: training episodes and evaluations."""

    env: str
    label: str
    seed: int
    train: pd.Series
    evaluation: pd.Series
    source: str  # the run directory or W&B run it was read from
    settings: dict[str, Any] = field(default_factory=dict)  # what defines its configuration
    planned_steps: int | None = None  # its --total-timesteps

    @property
    def steps(self) -> float:
        """The last env step with a training return (0 before the first episode ends)."""
        return float(self.train.index.max()) if len(self.train) else 0.0


@dataclass(frozen=True)
class Group:
    """The runs of one configuration: one curve per distinct seed."""

    env: str
    label: str
    curves: list[Curve]

    @property
    def steps(self) -> float:
        """The env steps every seed covers: the mean and band stop there."""
        return min(c.steps for c in self.curves)


def _series(frame: pd.DataFrame, step: str, value: str) -> pd.Series:
    if value not in frame or step not in frame:
        return pd.Series(dtype=float)
    rows = frame[[step, value]].dropna()
    return pd.Series(rows[value].to_numpy(float), index=rows[step].to_numpy(float))


def _label(algo: str, exp_name: str) -> str:
    return algo if exp_name in ("default", "") else f"{algo} ({exp_name})"


def _settings(config: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in config.items() if key not in NOT_CONFIGURATION}


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
        metrics = read_metrics(run.metrics)
        if metrics.empty:
            print(f"note: {run.path} has no metrics yet: left out")
            continue
        cfg = TrainConfig.load(run.config)
        curves.append(
            Curve(
                env=cfg.env,
                label=_label(cfg.algo, cfg.exp_name),
                seed=cfg.seed,
                train=_series(metrics, STEP, TRAIN_RETURN),
                evaluation=_series(metrics, STEP, EVAL_RETURN),
                source=str(run.path),
                settings=_settings(dataclasses.asdict(cfg)),
                planned_steps=cfg.total_timesteps,
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
        config = dict(run.config)
        history = run.history(keys=["global_step", TRAIN_RETURN], pandas=True, samples=2000)
        evaluations = run.history(keys=["global_step", EVAL_RETURN], pandas=True, samples=2000)
        curves.append(
            Curve(
                env=config.get("env", "?"),
                label=_label(config.get("algo", "?"), config.get("exp_name", "")),
                seed=config.get("seed", 0),
                train=_series(history, "global_step", TRAIN_RETURN),
                evaluation=_series(evaluations, "global_step", EVAL_RETURN),
                source=f"W&B run {run.path[-1] if run.path else run.name}",
                settings=_settings(config),
                planned_steps=config.get("total_timesteps"),
            )
        )
    return curves


def _differences(configurations: Sequence[dict[str, Any]]) -> list[str]:
    keys = sorted({key for settings in configurations for key in settings})
    return [key for key in keys if len({repr(s.get(key)) for s in configurations}) > 1]


def group_by_configuration(curves: Sequence[Curve]) -> tuple[list[Group], list[str]]:
    """Runs grouped by env, algorithm, experiment and settings, one run per seed; and notes.

    Of several runs of one seed the longest is kept. Where one label covers several
    configurations, the settings that tell them apart are added to it. The notes say which runs
    were merged, left out or stopped short of their budget.
    """
    configurations: dict[tuple, list[Curve]] = {}
    for curve in curves:
        key = (curve.env, curve.label, repr(sorted(curve.settings.items())))
        configurations.setdefault(key, []).append(curve)
    groups, notes = [], []
    for (env, label, _), members in sorted(configurations.items(), key=lambda item: item[0]):
        siblings = [
            members_[0].settings
            for (other_env, other_label, _), members_ in configurations.items()
            if (other_env, other_label) == (env, label)
        ]
        if differing := _differences(siblings):
            settings = members[0].settings
            label = f"{label} [{', '.join(f'{k}={settings.get(k)}' for k in differing)}]"
        kept: dict[int, Curve] = {}
        for curve in sorted(members, key=lambda c: c.steps, reverse=True):
            if curve.seed in kept:
                notes.append(
                    f"{curve.source} left out: seed {curve.seed} of {env} {label} again, "
                    f"{curve.steps:,.0f} steps; kept {kept[curve.seed].source} "
                    f"({kept[curve.seed].steps:,.0f} steps)"
                )
                continue
            kept[curve.seed] = curve
        if not any(len(c.train) for c in kept.values()):
            notes.append(f"{env} {label}: no episodic return logged yet: left out")
            continue
        chosen = sorted((c for c in kept.values() if len(c.train)), key=lambda c: c.seed)
        for curve in chosen:
            if curve.planned_steps and curve.steps < curve.planned_steps:
                notes.append(
                    f"{curve.source} stopped at {curve.steps:,.0f} of its "
                    f"{curve.planned_steps:,} steps"
                )
        group = Group(env, label, chosen)
        seeds = ", ".join(str(c.seed) for c in chosen)
        notes.append(
            f"{env} {label}: seeds {seeds} merged ({len(chosen)} runs), curves up to "
            f"{group.steps:,.0f} steps, which every seed covers"
        )
        groups.append(group)
    return groups, notes


def mean_and_spread(series: Sequence[pd.Series], points: int = 200) -> pd.DataFrame:
    """Seeds interpolated on a common step grid up to the last step all of them cover."""
    series = [s for s in series if len(s)]
    grid = np.linspace(0, min(s.index.max() for s in series), points)
    values = np.array(
        [np.interp(grid, s.index, s.to_numpy(), left=np.nan, right=np.nan) for s in series]
    )
    counted = np.sum(~np.isnan(values), axis=0)
    with np.errstate(invalid="ignore"):
        mean = np.nansum(values, axis=0) / np.maximum(counted, 1)
        std = np.sqrt(np.nansum((values - mean) ** 2, axis=0) / np.maximum(counted, 1))
    keep = counted > 0
    return pd.DataFrame({"mean": mean[keep], "std": std[keep]}, index=grid[keep])


def plot(groups: Sequence[Group], output: Path) -> Path:
    """Learning curves, one panel per env, saved as PNG."""
    envs = sorted({g.env for g in groups})
    columns = min(3, len(envs))
    rows = -(-len(envs) // columns)
    figure = Figure(figsize=(6 * columns, 4 * rows))
    axes = figure.subplots(rows, columns, squeeze=False)
    for axis, env in zip(axes.flat, envs, strict=False):
        for group in (g for g in groups if g.env == env):
            stats = mean_and_spread([c.train for c in group.curves])
            seeds = len(group.curves)
            axis.plot(
                stats.index,
                stats["mean"],
                label=f"{group.label} ({seeds} seed{'s' * (seeds > 1)}, {group.steps:,.0f} steps)",
            )
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


def plot_run_dirs(run_dirs: Sequence[Path], output: Path) -> Path | None:
    """Learning curves of ``run_dirs``, grouped by configuration, drawn to ``output``; None
    when no run has a curve yet."""
    groups, _ = group_by_configuration(curves_from_run_dirs(run_dirs))
    return plot(groups, output) if groups else None


def _mean_std(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.4g}" if values else "-"
    return f"{np.mean(values):.4g} ± {np.std(values):.2g}"


def table(groups: Sequence[Group]) -> str:
    """Markdown table per configuration: seeds, steps every seed covers, final training return
    (at that step) and best evaluation return (up to it), mean ± std over seeds."""
    lines = [
        "| env | algo | seeds | steps | final return | best eval return |",
        "|---|---|---|---|---|---|",
    ]
    for group in groups:
        upto = group.steps
        final = [float(c.train[c.train.index <= upto].iloc[-1]) for c in group.curves]
        evaluations = [c.evaluation[c.evaluation.index <= upto] for c in group.curves]
        best = [float(e.max()) for e in evaluations if len(e)]
        lines.append(
            f"| {group.env} | {group.label} | {len(group.curves)} | {upto:,.0f} "
            f"| {_mean_std(final)} | {_mean_std(best)} |"
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
    groups, notes = group_by_configuration(curves)
    if not groups:
        raise UsageError("no episodic returns found in these runs (have they finished an episode?)")
    output = args.output or Path(f"compare-{time.strftime('%Y%m%d-%H%M%S')}.png")
    for note in notes:
        print(f"note: {note}")
    print(table(groups))
    print(f"\nlearning curves: {plot(groups, output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
