"""metrics.csv of a run: SB3's CSV logger output, appending to what a resumed run wrote before."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from stable_baselines3.common.logger import CSVOutputFormat


def read_metrics(path: Path) -> pd.DataFrame:
    """The rows of a metrics file; none when it is missing or empty (a run that broke before
    it logged anything)."""
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame()
    return pd.read_csv(path)


def best_logged(path: Path, key: str) -> float:
    """The largest value of ``key`` in a metrics file (-inf if none): a resumed run's record."""
    values = read_metrics(path).get(key, pd.Series(dtype=float)).dropna()
    return float(values.max()) if len(values) else -float("inf")


class ResumableCSVOutput(CSVOutputFormat):
    """SB3's CSV output that keeps the rows (and columns) already in the file."""

    def __init__(self, path: Path) -> None:
        previous = path.read_text() if path.exists() else ""
        super().__init__(str(path))  # truncates the file
        if previous:
            self.keys = previous.splitlines()[0].split(self.separator)
            self.file.write(previous)
            self.file.flush()
