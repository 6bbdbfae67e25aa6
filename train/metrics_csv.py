"""metrics.csv of a run: SB3's CSV logger output, appending to what a resumed run wrote before."""

from __future__ import annotations

from pathlib import Path

from stable_baselines3.common.logger import CSVOutputFormat


class ResumableCSVOutput(CSVOutputFormat):
    """SB3's CSV output that keeps the rows (and columns) already in the file."""

    def __init__(self, path: Path) -> None:
        previous = path.read_text() if path.exists() else ""
        super().__init__(str(path))  # truncates the file
        if previous:
            self.keys = previous.splitlines()[0].split(self.separator)
            self.file.write(previous)
            self.file.flush()
