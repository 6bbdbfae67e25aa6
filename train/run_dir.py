"""Layout of a run directory, `runs/<env>__<algo>__<seed>__<time>/`, and its checkpoints."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from train.config import TrainConfig
from train.errors import UsageError

if TYPE_CHECKING:
    from stable_baselines3.common.base_class import BaseAlgorithm


@dataclass(frozen=True)
class RunDir:
    """Paths of everything a run writes: config, checkpoints, metrics, TensorBoard, videos."""

    path: Path

    @property
    def config(self) -> Path:
        return self.path / "config.json"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def latest(self) -> Path:
        """Checkpoint saved at every evaluation, at the end and on Ctrl-C."""
        return self.checkpoints / "latest.zip"

    @property
    def best(self) -> Path:
        """Checkpoint with the best mean evaluation return so far."""
        return self.checkpoints / "best.zip"

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.csv"

    @property
    def tensorboard(self) -> Path:
        return self.path / "tensorboard"

    @property
    def videos(self) -> Path:
        return self.path / "videos"

    def claim(self) -> FileLock:
        """Hold the run for this process while it trains (released when it ends or dies): a
        second process that would resume it meanwhile is refused instead of writing beside it."""
        lock = FileLock(self.path / ".lock")
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise UsageError(
                f"run directory {self.path} is being trained by another process; resume it "
                "once that one has stopped"
            ) from None
        return lock

    @classmethod
    def create(cls, parent: Path, cfg: TrainConfig) -> RunDir:
        """Make a new, empty run directory under ``parent`` named after env, algo, seed and time."""
        env = re.sub(r"[^A-Za-z0-9._-]+", "-", cfg.env)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        name = f"{env}__{cfg.algo}__{cfg.seed}__{stamp}"
        path, n = parent / name, 1
        while True:  # mkdir claims the name atomically: processes started together get their own
            try:
                path.mkdir(parents=True)
                break
            except FileExistsError:
                n += 1
                path = parent / f"{name}-{n}"
        run = cls(path)
        for folder in (run.checkpoints, run.videos):
            folder.mkdir()
        return run

    @classmethod
    def find(cls, path: Path) -> RunDir:
        """The run directory holding ``path`` (the directory itself or a file inside it)."""
        for candidate in (path, *path.parents):
            if cls(candidate).config.is_file():
                return cls(candidate)
        raise UsageError(f"{path} is not a run directory or a file inside one (no config.json)")


def normalization_path(checkpoint: Path) -> Path:
    """Where VecNormalize statistics of a reference algorithm's checkpoint are kept."""
    return checkpoint.with_suffix(".vecnormalize.pkl")


def save_checkpoint(model: BaseAlgorithm, checkpoint: Path) -> None:
    """Save the model; for SB3's own algorithms also the VecNormalize statistics beside it."""
    model.save(checkpoint)
    normalization = model.get_vec_normalize_env()
    # rl_lstm's save keeps normalisation statistics inside its checkpoint.
    if normalization is not None and not type(model).__module__.startswith("rl_lstm"):
        normalization.save(normalization_path(checkpoint))
