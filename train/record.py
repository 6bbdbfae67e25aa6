"""`python -m train.record RUN_OR_CHECKPOINT`: watch a trained agent, with its memory beside it.

Plays episodes with the LSTM state carried and writes an mp4 (or gif) where each frame shows the
env picture and a memory panel: recent cell state, input/forget/output gates, episode and trial
starts. Examples::

    python -m train.record runs/TMaze-v0__rl_lstm__0__20250101-120000
    python -m train.record runs/.../checkpoints/latest.zip --episodes 5 --gif --upload
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from train.config import TrainConfig
from train.env_factory import check_rendering, make_vec_env
from train.errors import UsageError, exits_on_usage_error
from train.run_dir import RunDir, normalization_path


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m train.record",
        description="Record episodes of a trained agent with its LSTM memory panel.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("run", type=Path, help="run directory or checkpoint (.zip) inside one")
    parser.add_argument("--episodes", type=int, default=3, help="episodes to record")
    parser.add_argument("--stochastic", action="store_true", help="sample actions (not argmax)")
    parser.add_argument("--output", type=Path, help="video path (default: <run>/videos/...)")
    parser.add_argument("--gif", action="store_true", help="write a gif instead of an mp4")
    parser.add_argument("--fps", type=float, help="frames per second (default: the env's)")
    parser.add_argument("--window", type=int, default=64, help="steps shown in the memory panel")
    parser.add_argument(
        "--no-memory-panel", action="store_true", help="env frames only, without the panel"
    )
    parser.add_argument("--upload", action="store_true", help="log the video to the run's W&B")
    parser.add_argument("--device", default="cpu", help="torch device for the model")
    parser.add_argument("--seed", type=int, default=0, help="seed of the recorded episodes")
    args = parser.parse_args(argv)
    if args.episodes < 1:
        parser.error(f"--episodes {args.episodes}: needs at least 1")
    if args.window < 2:
        parser.error(f"--window {args.window}: needs at least 2 steps")
    return args


def find_checkpoint(path: Path, run: RunDir) -> Path:
    """The checkpoint given, else the run's best (or latest) one."""
    if path.is_file():
        return path
    for checkpoint in (run.best, run.latest):
        if checkpoint.is_file():
            return checkpoint
    raise UsageError(f"{run.path} has no checkpoint yet (looked for {run.best} and {run.latest})")


def record(args: argparse.Namespace) -> Path:
    """Record the episodes; return the video path."""
    run = RunDir.find(args.run)
    cfg = TrainConfig.load(run.config)
    checkpoint = find_checkpoint(args.run, run)
    check_rendering(cfg.env, cfg.env_kwargs)
    # The model, drawing and video stack loads once the run and its checkpoint are found.
    from train.algos import load_model
    from train.evaluation import play_episodes
    from train.memory_panel import MemoryPanel
    from train.tracking import Tracker
    from train.video import frames_per_second, write_video

    stats = normalization_path(checkpoint)
    env = make_vec_env(
        cfg.env,
        cfg.env_kwargs,
        n_envs=1,
        seed=args.seed,
        normalize=cfg.normalize,
        training=False,
        normalization_stats=stats if stats.is_file() else None,
        frame_stack=cfg.stacked_frames,
        render_mode="rgb_array",
    )
    model = load_model(cfg, checkpoint, env, args.device)
    deterministic = not args.stochastic
    panel = cfg.algo == "rl_lstm" and not args.no_memory_panel
    if panel:
        from rl_lstm.inspection import trace_rollout

        trace = trace_rollout(model, env, args.episodes, deterministic=deterministic, render=True)
        frames, returns = MemoryPanel(trace, args.window).draw_all(), trace.episode_returns
    else:
        if cfg.algo != "rl_lstm" and not args.no_memory_panel:
            print(f"note: the memory panel needs an rl_lstm model ({cfg.algo} run): frames only")
        episodes = play_episodes(model, env, args.episodes, deterministic, args.episodes)
        frames, returns = episodes.frames, episodes.returns
    env.close()

    suffix = ".gif" if args.gif else ".mp4"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    output = args.output or run.videos / f"record_{checkpoint.stem}_{stamp}{suffix}"
    fps = args.fps or frames_per_second(env.metadata)
    write_video(frames, output, fps)
    listed = ", ".join(f"{r:.3g}" for r in returns)
    print(f"episode returns: {listed} (mean {np.mean(returns):.3g})")
    print(f"video: {output} ({len(frames)} frames)")
    if args.upload:
        tracker = Tracker.start(cfg, run.path, job_type="record")
        if tracker:
            tracker.log_video("record/video", output, model.num_timesteps)
            tracker.finish()
    return output


@exits_on_usage_error
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m train.record`."""
    record(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
