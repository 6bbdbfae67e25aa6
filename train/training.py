"""A training run from start to end: envs, model, logging, evaluation, checkpoints, summary.

What `python -m train.ppo` runs once its command line is parsed and checked.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from pathlib import Path

import torch
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.logger import Logger, TensorBoardOutputFormat
from stable_baselines3.common.vec_env import VecEnv

from rl_lstm.progress import StepProgressBar
from train.algos import load_model, make_model
from train.arguments import Arguments
from train.callbacks import Evaluation, StopOnInterrupt, TrialCurves
from train.config import TrainConfig
from train.console import CompactTable
from train.env_factory import make_vec_env
from train.errors import UsageError
from train.metrics_csv import ResumableCSVOutput, best_logged
from train.run_dir import RunDir, normalization_path, save_checkpoint
from train.tracking import Tracker, WandbOutput


def make_envs(cfg: TrainConfig, resume: RunDir | None) -> tuple[VecEnv, VecEnv]:
    """The training envs and a single evaluation env (rendering when videos are captured)."""
    stats = None
    if resume and cfg.normalize and cfg.algo != "rl_lstm":
        stats = normalization_path(resume.latest)
    common = dict(
        normalize=cfg.normalize,
        gamma=cfg.gamma,
        frame_stack=cfg.stacked_frames,
    )
    train_env = make_vec_env(
        cfg.env, cfg.env_kwargs, cfg.n_envs, cfg.seed, vec_env=cfg.vec_env,
        normalization_stats=stats, **common,
    )  # fmt: skip
    eval_env = make_vec_env(
        cfg.env, cfg.env_kwargs, 1, cfg.seed + 10_000, training=False,
        render_mode="rgb_array" if cfg.capture_video else None, **common,
    )  # fmt: skip
    return train_env, eval_env


def make_logger(run: RunDir, tracker: Tracker | None) -> Logger:
    """SB3 logger writing metrics.csv, TensorBoard events, the console table and W&B."""
    outputs = [
        ResumableCSVOutput(run.metrics),
        TensorBoardOutputFormat(str(run.tensorboard)),
        CompactTable(),
    ]
    if tracker:
        outputs.append(WandbOutput(tracker))
    return Logger(folder=str(run.path), output_formats=outputs)


def print_summary(run: RunDir, evaluation: Evaluation, tracker: Tracker | None, steps: int) -> None:
    """Where everything is and what to run next."""
    best = "-"
    if math.isfinite(evaluation.best_mean_return):
        at = f" (at step {evaluation.best_at:,})" if evaluation.best_at is not None else ""
        best = f"{evaluation.best_mean_return:.4g}{at}"
    lines = [
        ("best eval return", best),
        ("steps", f"{steps:,}"),
        ("run directory", str(run.path)),
        ("latest checkpoint", str(run.latest)),
        ("best checkpoint", str(run.best)),
    ]
    if evaluation.videos:
        lines.append(("videos", f"{run.videos} ({len(evaluation.videos)} files)"))
    lines.append(("watch the agent", f"python -m train.record {run.path}"))
    if tracker:
        lines.append(("W&B", tracker.sync_command if tracker.offline else tracker.run.url))
    print("\nRun finished")
    for name, value in lines:
        print(f"  {name:<19}{value}")


def new_run_dir(parent: Path, cfg: TrainConfig) -> RunDir:
    """:meth:`RunDir.create`, with a usage error where ``--run-dir`` lies inside a file."""
    try:
        return RunDir.create(parent, cfg)
    except NotADirectoryError:
        raise UsageError(
            f"--run-dir {parent} is not a directory (it, or a folder above it, is a file); "
            "pass a directory, existing or new"
        ) from None


def train(args: Arguments, after_eval: BaseCallback | None = None) -> int:
    """Run (or resume) the training ``args`` (from :func:`train.arguments.parse_args`) describes;
    return the process exit code.

    ``after_eval`` runs after each evaluation and may stop training (a pruned tuning trial).
    """
    cfg = args.config
    torch.set_num_threads(cfg.threads)
    with contextlib.ExitStack() as held:  # released at the end, in reverse order
        if args.resume:  # claimed before its checkpoint is read
            held.callback(args.resume.claim().release)
        train_env, eval_env = make_envs(cfg, args.resume)
        held.callback(eval_env.close)
        held.callback(train_env.close)
        interrupt = StopOnInterrupt()
        held.callback(interrupt.restore)
        if args.resume:
            model = load_model(cfg, args.resume.latest, train_env, cfg.device)
            print(f"resuming {args.resume.path} at step {model.num_timesteps:,}")
        else:
            model = make_model(cfg, train_env)
        remaining = cfg.total_timesteps - model.num_timesteps
        if remaining <= 0:
            raise UsageError(
                f"the run already has {model.num_timesteps:,} of --total-timesteps "
                f"{cfg.total_timesteps:,}; pass a larger --total-timesteps to go on"
            )
        # Only a command that trains makes or writes to a run: a refused one leaves none behind.
        if args.resume:
            run = args.resume
        else:
            run = new_run_dir(args.runs_parent, cfg)
            held.callback(run.claim().release)
        tracker = Tracker.start(cfg, run.path) if cfg.track else None
        if tracker:  # so that a resumed run logs to the same W&B run
            held.callback(tracker.finish)
            cfg = dataclasses.replace(cfg, wandb_run_id=tracker.run.id)
        cfg.save(run.config)
        model.set_logger(make_logger(run, tracker))
        evaluation = Evaluation(
            eval_env,
            run,
            cfg.eval_freq,
            cfg.eval_episodes,
            cfg.capture_video,
            tracker,
            best_mean_return=best_logged(run.metrics, "eval/best_mean_reward"),
            callback_after_eval=after_eval,
        )
        callbacks = CallbackList([StepProgressBar(), TrialCurves(), evaluation, interrupt])
        print(f"run directory: {run.path}")
        started, first_step = time.monotonic(), model.num_timesteps
        model.learn(remaining, callback=callbacks, reset_num_timesteps=not args.resume)
        if interrupt.interrupted:
            save_checkpoint(model, run.latest)
            print(f"\nstopped at step {model.num_timesteps:,}; checkpoint saved to {run.latest}")
            print(f"resume with: python -m train.ppo --resume {run.path}")
            return 130
        if evaluation.last_eval_at != model.num_timesteps:
            evaluation.evaluate()
        elapsed, steps = time.monotonic() - started, model.num_timesteps - first_step
        print(f"\n{steps:,} steps in {elapsed:.0f}s ({steps / elapsed:,.0f} steps/s)")
        print_summary(run, evaluation, tracker, model.num_timesteps)
        return 0
