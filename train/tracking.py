"""Weights & Biases tracking that never stops training: offline when needed, errors reported."""

from __future__ import annotations

import dataclasses
import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import wandb
from stable_baselines3.common.logger import KVWriter
from tqdm import tqdm

from train.config import TrainConfig


def _say(message: str) -> None:
    tqdm.write(f"W&B: {message}")


def _reachable(url: str, timeout_s: float = 2.0) -> bool:
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        socket.create_connection((parsed.hostname, port), timeout=timeout_s).close()
    except OSError:
        return False
    return True


def choose_mode() -> str:
    """``WANDB_MODE`` if set, else online; offline (with a notice) without API key or network."""
    if mode := os.environ.get("WANDB_MODE"):
        return mode
    if not wandb.login(prompt=False, verify=False):
        _say("no API key found (run `wandb login`), logging offline")
        return "offline"
    if not _reachable(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")):
        _say("W&B server unreachable, logging offline")
        return "offline"
    return "online"


class Tracker:
    """One W&B run; every call is guarded so that a W&B failure is reported and training goes on."""

    def __init__(self, run: Any) -> None:
        self.run = run
        self.errors = 0

    @classmethod
    def start(cls, cfg: TrainConfig, run_path: Path, job_type: str = "train") -> Tracker | None:
        """Start (or resume, by ``cfg.wandb_run_id``) the W&B run of a run directory, or None."""
        try:
            run = wandb.init(
                project=cfg.wandb_project,
                entity=cfg.wandb_entity,
                group=cfg.group,
                name=run_path.name,
                job_type=job_type,
                tags=list(cfg.wandb_tags) or None,
                config=dataclasses.asdict(cfg),
                id=cfg.wandb_run_id,
                resume="allow" if cfg.wandb_run_id else None,
                mode=choose_mode(),
                dir=None if os.environ.get("WANDB_DIR") else run_path,
                settings=wandb.Settings(silent=True),  # our notices say what matters
            )
            run.define_metric("global_step")
            run.define_metric("*", step_metric="global_step")
        except Exception as error:
            _say(f"could not start ({error}); going on without W&B")
            return None
        tracker = cls(run)
        if tracker.offline:
            _say(f"offline run; upload it later with: {tracker.sync_command}")
        return tracker

    @property
    def offline(self) -> bool:
        return bool(self.run.offline)

    @property
    def sync_command(self) -> str:
        """The command that uploads an offline run."""
        return f"wandb sync {self.run.settings.sync_dir}"

    def log(self, values: dict[str, Any], step: int) -> None:
        """Log ``values`` at env step ``step`` (the x axis of every metric)."""
        try:
            self.run.log({**values, "global_step": step})
        except Exception as error:
            self.errors += 1
            if self.errors == 1:
                _say(f"logging failed ({error}); training goes on, later failures are counted")

    def update_config(self, values: dict[str, Any]) -> None:
        """Add ``values`` to the run's config (what a tuning trial adds: study, trial, params)."""
        try:
            self.run.config.update(values, allow_val_change=True)
        except Exception as error:
            _say(f"updating the config failed ({error}); training goes on")

    def log_video(self, key: str, path: Path, step: int) -> None:
        """Log an mp4/gif file as a W&B video."""
        try:
            video = wandb.Video(str(path), format=path.suffix.lstrip("."))
        except Exception as error:
            _say(f"cannot read video {path} ({error})")
            return
        self.log({key: video}, step)

    def finish(self) -> None:
        """Close the run (flushing offline files)."""
        try:
            self.run.finish()
        except Exception as error:
            _say(f"finishing the run failed ({error})")


class WandbOutput(KVWriter):
    """SB3 logger output forwarding every numeric key-value to W&B at ``global_step``."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    def write(self, key_values: dict[str, Any], key_excluded: dict, step: int = 0) -> None:
        numbers = {
            key: value
            for key, value in key_values.items()
            if isinstance(value, (int, float, np.number))
            and "wandb" not in key_excluded.get(key, ())
        }
        self.tracker.log(numbers, step)

    def close(self) -> None:
        """The tracker is finished by the command that started it."""
