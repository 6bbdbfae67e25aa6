"""What a run prints besides its progress bar: a compact periodic table and, on an env with trials,
the evaluation return of each episode position within a trial."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from stable_baselines3.common.logger import KVWriter
from tqdm import tqdm

from train.trial_curves import trial_episode_key

# (logger key, column title, format) of the periodic table.
COLUMNS = (
    ("time/total_timesteps", "step", "{:>11,.0f}"),
    ("rollout/ep_rew_mean", "return", "{:>9.4g}"),
    ("rollout/ep_len_mean", "length", "{:>8.4g}"),
    ("eval/mean_reward", "eval", "{:>9.4g}"),
    ("time/fps", "sps", "{:>7.0f}"),
    ("train/loss", "loss", "{:>9.3g}"),
    ("train/approx_kl", "kl", "{:>9.2g}"),
    ("train/entropy_loss", "entropy", "{:>8.3g}"),
    ("train/explained_variance", "expl.var", "{:>8.2f}"),
    ("memory/cell_abs_mean", "|cell|", "{:>7.3g}"),
)


def in_trial_line(key_values: dict[str, Any]) -> str:
    """The evaluation's mean return of the 1st, 2nd ... episode of a trial, and of a trial."""
    returns, position = [], 1
    while (key := trial_episode_key("eval", position)) in key_values:
        returns.append(f"{position}: {key_values[key]:.3g}")
        position += 1
    total = key_values.get("eval/mean_trial_return")
    trial = f" | trial: {total:.4g}" if total is not None else ""
    return f"{'':>11} eval return by episode of a trial  {'  '.join(returns)}{trial}"


class CompactTable(KVWriter):
    """SB3 logger output printing one short row per period (and after every evaluation).

    Training, evaluation and memory values are logged at different dumps; each row shows the
    latest value of every column, so no row hides a number already known.
    """

    def __init__(self, period_s: float = 10.0, header_every: int = 20) -> None:
        self.period_s = period_s
        self.header_every = header_every
        self.rows = 0
        self.last_periodic_row_at = -float("inf")
        self.latest: dict[str, Any] = {}

    def write(self, key_values: dict[str, Any], key_excluded: dict, step: int = 0) -> None:
        self.latest.update(
            (key, value)
            for key, value in key_values.items()
            if isinstance(value, (int, float, np.number))
        )
        now = time.monotonic()
        evaluated = "eval/mean_reward" in key_values
        if not evaluated:  # an evaluation's row is extra: it leaves the periodic rows' clock alone
            if now - self.last_periodic_row_at < self.period_s:
                return
            self.last_periodic_row_at = now
        if self.rows % self.header_every == 0:
            tqdm.write(" ".join(f"{title:>{len(fmt.format(0))}}" for _, title, fmt in COLUMNS))
        cells = []
        for key, _, fmt in COLUMNS:
            value = step if key == "time/total_timesteps" else self.latest.get(key)
            cells.append(fmt.format(value) if value is not None else "-".rjust(len(fmt.format(0))))
        tqdm.write(" ".join(cells))
        self.rows += 1
        if evaluated and trial_episode_key("eval", 1) in key_values:
            tqdm.write(in_trial_line(key_values))

    def close(self) -> None:
        """Nothing to release: rows go to the terminal."""
