"""Checkpoints that load without running code: a JSON config and tensors in a zip.

Settings, spaces and schedules are JSON; weights, optimizer state, recurrent states and
VecNormalize statistics are tensors read with ``torch.load(weights_only=True)``. Classes
named in ``policy_kwargs`` are restored only from a fixed list of known classes.
"""

from __future__ import annotations

import inspect
import io
import json
import os
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch as th
from gymnasium import spaces
from sb3_contrib.common.recurrent.type_aliases import RNNStates
from stable_baselines3.common import torch_layers as sb3_torch_layers
from stable_baselines3.common.running_mean_std import RunningMeanStd
from stable_baselines3.common.utils import (
    ConstantSchedule,
    FloatSchedule,
    LinearSchedule,
    check_for_correct_spaces,
)
from stable_baselines3.common.vec_env import VecNormalize
from torch import nn

from rl_lstm import torch_layers
from rl_lstm.flat_parameters import flat_optimizer_state

if TYPE_CHECKING:
    from rl_lstm.ppo import RecurrentPPO

FORMAT = "rl_lstm-checkpoint"
VERSION = 1
CONFIG_FILE = "config.json"
TENSORS_FILE = "tensors.pt"
SCHEDULES = ("learning_rate", "clip_range", "clip_range_vf")


class CheckpointError(ValueError):
    """The file is not a readable rl_lstm checkpoint."""


@dataclass
class TrainingProgress:
    """Where training stands besides weights and optimizer: what continuing it needs."""

    num_timesteps: int
    n_updates: int
    lstm_states: RNNStates  # the states the next step acts from, per env


# --- spaces -------------------------------------------------------------------------


def space_to_json(space: spaces.Space) -> dict[str, Any]:
    """JSON form of the spaces the agent supports."""
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "low": space.low.tolist(),
            "high": space.high.tolist(),
            "shape": list(space.shape),
            "dtype": str(space.dtype),
        }
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.MultiDiscrete):
        return {"type": "MultiDiscrete", "nvec": space.nvec.tolist(), "dtype": str(space.dtype)}
    if isinstance(space, spaces.MultiBinary):
        return {"type": "MultiBinary", "n": np.asarray(space.n).tolist()}
    if isinstance(space, spaces.Dict):
        return {"type": "Dict", "spaces": {k: space_to_json(v) for k, v in space.spaces.items()}}
    raise CheckpointError(f"cannot save space {space}")


def space_from_json(data: dict[str, Any]) -> spaces.Space:
    """Inverse of :func:`space_to_json`."""
    kind = data.get("type")
    if kind == "Box":
        return spaces.Box(
            low=np.array(data["low"], dtype=data["dtype"]),
            high=np.array(data["high"], dtype=data["dtype"]),
            shape=tuple(data["shape"]),
            dtype=data["dtype"],
        )
    if kind == "Discrete":
        return spaces.Discrete(data["n"], start=data["start"])
    if kind == "MultiDiscrete":
        return spaces.MultiDiscrete(data["nvec"], dtype=data["dtype"])
    if kind == "MultiBinary":
        return spaces.MultiBinary(data["n"])
    if kind == "Dict":
        return spaces.Dict({k: space_from_json(v) for k, v in data["spaces"].items()})
    raise CheckpointError(f"checkpoint names an unknown space type {kind!r}")


# --- schedules ----------------------------------------------------------------------


def schedule_to_json(value: Any) -> dict[str, Any] | None:
    """Constant and linear schedules as JSON; another callable is kept as its current value."""
    if value is None:
        return None
    if isinstance(value, FloatSchedule):
        return schedule_to_json(value.value_schedule)
    if isinstance(value, int | float):
        return {"constant": float(value)}
    if isinstance(value, ConstantSchedule):
        return {"constant": float(value.val)}
    if isinstance(value, LinearSchedule):
        return {"linear": [value.start, value.end, value.end_fraction]}
    warnings.warn(
        f"schedule {value!r} cannot be saved as JSON; saving its value at the start of training. "
        "Use a float or stable_baselines3.common.utils.LinearSchedule to save it exactly.",
        stacklevel=3,
    )
    return {"constant": float(value(1.0))}


def schedule_from_json(data: dict[str, Any] | None) -> float | LinearSchedule | None:
    """Inverse of :func:`schedule_to_json`."""
    if data is None:
        return None
    if "linear" in data:
        return LinearSchedule(*data["linear"])
    return float(data["constant"])


# --- classes in policy_kwargs -------------------------------------------------------


def _loadable_classes() -> dict[str, type]:
    candidates = [
        *vars(nn.modules.activation).values(),
        *vars(th.optim).values(),
        *vars(torch_layers).values(),
        *vars(sb3_torch_layers).values(),
    ]
    return {
        f"{c.__module__}.{c.__qualname__}": c
        for c in candidates
        if inspect.isclass(c) and issubclass(c, nn.Module | th.optim.Optimizer)
    }


def kwargs_to_json(value: Any, where: str = "policy_kwargs") -> Any:
    """JSON form of keyword arguments; classes become their qualified names."""
    if inspect.isclass(value):
        return {"class": f"{value.__module__}.{value.__qualname__}"}
    if isinstance(value, dict):
        return {str(k): kwargs_to_json(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [kwargs_to_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise CheckpointError(f"{where}={value!r} cannot be saved in a checkpoint (not JSON)")


def kwargs_from_json(value: Any) -> Any:
    """Inverse of :func:`kwargs_to_json`, resolving only known classes."""
    if isinstance(value, dict) and set(value) == {"class"}:
        classes = _loadable_classes()
        if value["class"] not in classes:
            raise CheckpointError(
                f"checkpoint names class {value['class']!r}, which a checkpoint may not load by "
                "name; pass policy_kwargs=... with the class to load()"
            )
        return classes[value["class"]]
    if isinstance(value, dict):
        return {k: kwargs_from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [kwargs_from_json(v) for v in value]
    return value


# --- VecNormalize statistics ---------------------------------------------------------


def _rms_to_tensors(rms: RunningMeanStd | dict[str, RunningMeanStd]) -> dict[str, Any]:
    if isinstance(rms, dict):
        return {key: _rms_to_tensors(value) for key, value in rms.items()}
    return {
        "mean": th.as_tensor(rms.mean),
        "var": th.as_tensor(rms.var),
        "count": th.tensor(float(rms.count), dtype=th.float64),
    }


def _rms_from_tensors(data: dict[str, Any]) -> RunningMeanStd | dict[str, RunningMeanStd]:
    if "mean" not in data:
        return {key: _rms_from_tensors(value) for key, value in data.items()}
    rms = RunningMeanStd(shape=tuple(data["mean"].shape))
    rms.mean = data["mean"].double().numpy()
    rms.var = data["var"].double().numpy()
    rms.count = float(data["count"])
    return rms


# --- save and load -------------------------------------------------------------------


def _with_suffix(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path if path.suffix else path.with_suffix(".zip")


def save_model(model: RecurrentPPO, path: str | os.PathLike) -> None:
    """Write ``model`` to ``path`` (``.zip`` added if it has no suffix), atomically."""
    policy_name = next(
        (alias for alias, cls in model.policy_aliases.items() if cls is type(model.policy)),
        None,
    )
    if policy_name is None:
        raise CheckpointError(
            f"policy class {type(model.policy).__name__} has no alias; "
            f"use one of {sorted(model.policy_aliases)}"
        )
    vec_normalize = model.get_vec_normalize_env()
    settings = model.settings()
    progress = model.training_progress()
    config = {
        "format": FORMAT,
        "version": VERSION,
        "algorithm": type(model).__name__,
        "policy": policy_name,
        "policy_kwargs": kwargs_to_json(settings.pop("policy_kwargs")),
        "memory": settings.pop("memory"),
        "schedules": {name: schedule_to_json(settings.pop(name)) for name in SCHEDULES},
        "hyperparameters": settings,
        "observation_space": space_to_json(model.observation_space),
        "action_space": space_to_json(model.action_space),
        "n_envs": model.n_envs,
        "num_timesteps": progress.num_timesteps,
        "n_updates": progress.n_updates,
    }
    tensors: dict[str, Any] = {
        "policy": model.policy.state_dict(),
        "optimizer": model.policy.optimizer.state_dict(),
        "lstm_states": [[h, c] for h, c in progress.lstm_states],
    }
    if vec_normalize is not None:
        tensors["vec_normalize"] = {
            "obs_rms": _rms_to_tensors(vec_normalize.obs_rms),
            "ret_rms": _rms_to_tensors(vec_normalize.ret_rms),
        }
    path = _with_suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensor_bytes = io.BytesIO()
    th.save(tensors, tensor_bytes)
    # Write beside the target, then rename: an interrupted save never leaves half a file.
    with (
        tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp,
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        archive.writestr(CONFIG_FILE, json.dumps(config, indent=2))
        archive.writestr(TENSORS_FILE, tensor_bytes.getvalue())
    os.replace(tmp.name, path)


def read_checkpoint(
    path: str | os.PathLike, device: th.device | str = "cpu"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Config and tensors of a checkpoint, or :class:`CheckpointError` saying what is wrong."""
    path = Path(path)
    if not path.exists() and _with_suffix(path).exists():
        path = _with_suffix(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if CONFIG_FILE not in names or TENSORS_FILE not in names:
                raise CheckpointError(
                    f"{path} is not an rl_lstm checkpoint (it lacks {CONFIG_FILE} or "
                    f"{TENSORS_FILE}; files saved by Stable-Baselines3 load with its own load())"
                )
            config = json.loads(archive.read(CONFIG_FILE))
            tensor_bytes = archive.read(TENSORS_FILE)
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{path} is not an rl_lstm checkpoint: {error}") from None
    if config.get("format") != FORMAT or config.get("version") != VERSION:
        raise CheckpointError(
            f"{path} has format {config.get('format')!r} version {config.get('version')!r}; "
            f"expected {FORMAT!r} version {VERSION}"
        )
    try:
        tensors = th.load(io.BytesIO(tensor_bytes), map_location=device, weights_only=True)
    except Exception as error:  # the unpickler's errors vary by payload
        raise CheckpointError(
            f"{path} holds data other than plain tensors and was not loaded: {error}"
        ) from None
    return config, tensors


def load_model(
    cls: type[RecurrentPPO],
    path: str | os.PathLike,
    env: Any = None,
    device: th.device | str = "auto",
    overrides: dict[str, Any] | None = None,
) -> RecurrentPPO:
    """Rebuild a model, its optimizer, recurrent states and VecNormalize statistics."""
    config, tensors = read_checkpoint(path)
    settings: dict[str, Any] = {
        **config["hyperparameters"],
        **{name: schedule_from_json(config["schedules"][name]) for name in SCHEDULES},
        "memory": config["memory"],
        "policy_kwargs": kwargs_from_json(config["policy_kwargs"]),
        **(overrides or {}),
    }
    model = cls(
        policy=config["policy"], env=env, device=device, _init_setup_model=False, **settings
    )
    observation_space = space_from_json(config["observation_space"])
    action_space = space_from_json(config["action_space"])
    if model.env is None:
        model.observation_space, model.action_space = observation_space, action_space
        model.n_envs = config["n_envs"]
    else:
        check_for_correct_spaces(model.env, observation_space, action_space)
    model._setup_model()
    model.policy.load_state_dict(tensors["policy"])
    optimizer_state = tensors["optimizer"]
    if len(optimizer_state["param_groups"][0]["params"]) != len(
        model.policy.optimizer.param_groups[0]["params"]
    ):  # saved before the parameters were packed (rl_lstm.flat_parameters)
        optimizer_state = flat_optimizer_state(
            optimizer_state, model.policy.flat_parameters.parameters
        )
    model.policy.optimizer.load_state_dict(optimizer_state)
    model.restore_training_progress(
        TrainingProgress(
            config["num_timesteps"],
            config["n_updates"],
            RNNStates(*(tuple(pair) for pair in tensors["lstm_states"])),
        )
    )
    vec_normalize = model.get_vec_normalize_env()
    if isinstance(vec_normalize, VecNormalize) and "vec_normalize" in tensors:
        vec_normalize.obs_rms = _rms_from_tensors(tensors["vec_normalize"]["obs_rms"])
        vec_normalize.ret_rms = _rms_from_tensors(tensors["vec_normalize"]["ret_rms"])
    return model
