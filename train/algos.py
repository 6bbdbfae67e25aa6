"""The algorithms a run can use, built from one config so that they compare like for like."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path
from typing import Any

from gymnasium import spaces
from stable_baselines3 import PPO
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.preprocessing import is_image_space
from stable_baselines3.common.utils import LinearSchedule
from stable_baselines3.common.vec_env import VecEnv
from torch import nn

from rl_lstm.checkpoint import CONFIG_FILE
from rl_lstm.torch_layers import CombinedExtractor, FlattenExtractor, ImageExtractor
from train.config import ACTIVATIONS, ALGOS, TrainConfig, schedule_start
from train.errors import UsageError
from train.presets import preset_for


def algo_class(algo: str) -> type[BaseAlgorithm]:
    """The class behind an ``--algo`` name."""
    if algo == "rl_lstm":
        from rl_lstm import RecurrentPPO

        return RecurrentPPO
    if algo == "sb3-contrib":
        from sb3_contrib import RecurrentPPO

        return RecurrentPPO
    if algo in ("ppo", "ppo-framestack"):
        return PPO
    raise ValueError(f"unknown algo {algo!r}: known algos are {', '.join(ALGOS)}")


def schedule(value: float | str) -> float | LinearSchedule:
    """A constant, or for ``"lin_<x>"`` a value decaying linearly from x to 0 over training."""
    if not isinstance(value, str):
        return value
    return LinearSchedule(start=schedule_start(value), end=0.0, end_fraction=1.0)


# rl_lstm's feature extractors, which the other algorithms take too so that all compare on one
# network: SB3's NatureCNN needs 36 px a side (ours also read MiniGrid's 7x7 view), and SB3's
# flatten gives MultiDiscrete sizes as numpy ints, which torch's nn.LSTM refuses.
EXTRACTORS = {"Mlp": FlattenExtractor, "Cnn": ImageExtractor, "MultiInput": CombinedExtractor}


def policy_kind(observation_space: spaces.Space) -> str:
    """The kind of SB3 policy that reads the observation space: Mlp, Cnn or MultiInput."""
    if isinstance(observation_space, spaces.Dict):
        return "MultiInput"
    return "Cnn" if is_image_space(observation_space) else "Mlp"


def policy_name(cfg: TrainConfig, observation_space: spaces.Space) -> str:
    """SB3's policy name for the observation space, with or without LSTM."""
    kind = policy_kind(observation_space)
    return f"{kind}LstmPolicy" if cfg.recurrent else f"{kind}Policy"


def model_kwargs(cfg: TrainConfig) -> dict[str, Any]:
    """Constructor arguments shared by every algorithm, plus the ones only some of them take."""
    policy_kwargs: dict[str, Any] = dict(
        net_arch=list(cfg.net_arch),
        activation_fn=getattr(nn, ACTIVATIONS[cfg.activation_fn]),
        ortho_init=cfg.ortho_init,
    )
    kwargs: dict[str, Any] = dict(
        learning_rate=schedule(cfg.learning_rate),
        n_steps=cfg.n_steps,
        batch_size=cfg.batch_size,
        n_epochs=cfg.n_epochs,
        gamma=cfg.gamma,
        gae_lambda=cfg.gae_lambda,
        clip_range=schedule(cfg.clip_range),
        clip_range_vf=cfg.clip_range_vf,
        normalize_advantage=cfg.normalize_advantage,
        ent_coef=cfg.ent_coef,
        vf_coef=cfg.vf_coef,
        max_grad_norm=cfg.max_grad_norm,
        target_kl=cfg.target_kl,
        seed=cfg.seed,
        device=cfg.device,
        policy_kwargs=policy_kwargs,
    )
    if cfg.recurrent:
        policy_kwargs.update(
            lstm_hidden_size=cfg.lstm_hidden_size,
            n_lstm_layers=cfg.n_lstm_layers,
            shared_lstm=cfg.shared_lstm,
            enable_critic_lstm=cfg.enable_critic_lstm,
        )
    if cfg.algo == "rl_lstm":
        policy_kwargs.update(
            gate_init=cfg.gate_init, critic_trains_shared_lstm=cfg.critic_trains_shared_lstm
        )
        kwargs.update(
            memory=cfg.memory,
            seq_len=cfg.seq_len,
            context=cfg.context,
            refresh_states=cfg.refresh_states,
            trial_returns=cfg.trial_returns,
        )
    return kwargs


def preset_kwargs(env_id: str, algo: str = "rl_lstm", **changes: Any) -> dict[str, Any]:
    """Constructor arguments of ``algo`` (with ``n_envs``) that `python -m train.ppo --env
    env_id` would use: the env's preset, with ``changes`` (``seed``, ``device`` or any preset
    field) applied.

    The preset's env wrappers (``normalize``, ``frame_stack``) are not constructor arguments:
    build the env with :func:`train.env_factory.make_vec_env` where the preset uses them.
    """
    known = {f.name for f in dataclasses.fields(TrainConfig)} - {"env", "algo", "env_kwargs"}
    if unknown := sorted(set(changes) - known):
        raise TypeError(f"unknown settings {unknown}; known: {', '.join(sorted(known))}")
    preset = dataclasses.asdict(preset_for(env_id))
    cfg = TrainConfig(env=env_id, algo=algo, **{**preset, **changes})
    kwargs = model_kwargs(cfg)
    if algo == "rl_lstm":
        kwargs["n_envs"] = cfg.n_envs
    return kwargs


def make_model(cfg: TrainConfig, env: VecEnv) -> BaseAlgorithm:
    """A fresh model of ``cfg.algo`` on ``env``."""
    policy = policy_name(cfg, env.observation_space)
    kwargs = model_kwargs(cfg)
    if cfg.algo != "rl_lstm":
        extractor = EXTRACTORS[policy_kind(env.observation_space)]
        kwargs["policy_kwargs"]["features_extractor_class"] = extractor
    try:
        return algo_class(cfg.algo)(policy, env, verbose=0, **kwargs)
    except (ValueError, AssertionError) as error:
        raise UsageError(f"{cfg.algo} cannot be built with these settings: {error}") from error


def _saved_by(checkpoint: Path) -> list[str]:
    """The algos whose checkpoints look like this file, read without unpickling anything.

    Empty when the file is none of theirs or cannot be read: their loaders then say why.
    """
    try:
        with zipfile.ZipFile(checkpoint) as archive:
            if CONFIG_FILE in archive.namelist():
                return ["rl_lstm"]
            # SB3's settings are JSON; the pickled values inside stay unread.
            module = json.loads(archive.read("data"))["policy_class"]["__module__"]
    except (OSError, zipfile.BadZipFile, KeyError, TypeError, ValueError):
        return []
    return [
        algo
        for algo in ALGOS
        if module in {policy.__module__ for policy in algo_class(algo).policy_aliases.values()}
    ]


def load_model(
    cfg: TrainConfig, checkpoint: Path, env: VecEnv | None, device: str
) -> BaseAlgorithm:
    """Restore a checkpoint of ``cfg.algo``, attached to ``env`` when given."""
    saved = _saved_by(checkpoint)
    if saved and cfg.algo not in saved:
        raise UsageError(
            f"cannot load checkpoint {checkpoint} as {cfg.algo}: it was saved by "
            f"{' or '.join(saved)}"
        )
    try:
        return algo_class(cfg.algo).load(checkpoint, env=env, device=device)
    except (ValueError, KeyError, OSError, AssertionError) as error:
        raise UsageError(f"cannot load checkpoint {checkpoint}: {error}") from error
