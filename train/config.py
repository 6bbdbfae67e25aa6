"""The resolved configuration of a training run: what `config.json` in its run directory holds."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from train.presets import Hyperparams

ALGOS = ("rl_lstm", "sb3-contrib", "ppo", "ppo-framestack")
# --activation-fn names and the torch.nn classes they stand for.
ACTIVATIONS = {"tanh": "Tanh", "relu": "ReLU", "elu": "ELU", "gelu": "GELU"}
RECURRENT_ALGOS = ("rl_lstm", "sb3-contrib")

# Settings that may change when a run is resumed; every other one must stay as the run began.
RESUMABLE_FIELDS = frozenset(
    {"total_timesteps", "device", "threads", "vec_env", "eval_freq", "eval_episodes"}
    | {"capture_video"}
    | {"track", "wandb_project", "wandb_entity", "wandb_group", "wandb_tags"}
)


def schedule_start(value: str) -> float:
    """The x of a ``"lin_<x>"`` schedule (decaying linearly from x to 0), x positive and finite."""
    try:
        start = float(value.removeprefix("lin_"))
    except ValueError:
        start = math.nan
    if not (value.startswith("lin_") and 0 < start < math.inf):
        raise ValueError(
            f"schedule {value!r} is not a number or lin_<x> with x a positive finite number"
        )
    return start


@dataclass(frozen=True)
class TrainConfig(Hyperparams):
    """Everything that defines a run: env, algorithm, hyperparameters, seed, logging."""

    env: str = "CartPole-v1"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    algo: str = "rl_lstm"
    exp_name: str = "default"
    seed: int = 0
    device: str = "auto"
    threads: int = 1
    vec_env: str = "dummy"
    capture_video: bool = False
    track: bool = False
    wandb_project: str = "rl_lstm"
    wandb_entity: str | None = None
    wandb_group: str | None = None
    wandb_tags: list[str] = field(default_factory=list)
    wandb_run_id: str | None = None

    @property
    def recurrent(self) -> bool:
        """Whether the policy has an LSTM (and so a state to carry)."""
        return self.algo in RECURRENT_ALGOS

    @property
    def stacked_frames(self) -> int:
        """Frames stacked into each observation: only ``ppo-framestack`` stacks them."""
        return self.frame_stack if self.algo == "ppo-framestack" else 0

    @property
    def group(self) -> str:
        """The W&B group: runs of one env, algorithm and experiment, over seeds."""
        return self.wandb_group or f"{self.env}/{self.algo}/{self.exp_name}"

    def save(self, path: Path) -> None:
        """Write the config as indented JSON."""
        path.write_text(json.dumps(dataclasses.asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> TrainConfig:
        """Read a config written by ``save``; unknown keys (from other versions) are ignored."""
        data = json.loads(path.read_text())
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})
