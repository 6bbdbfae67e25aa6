"""Writing rendered frames to video files (mp4 through ffmpeg, or gif)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import imageio.v2 as imageio
import numpy as np


def write_video(frames: Sequence[np.ndarray], path: Path, fps: float) -> Path:
    """Write RGB frames to ``path``; the suffix (.mp4 or .gif) picks the format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gif":
        imageio.mimsave(path, list(frames), duration=1000 / fps, loop=0)
    else:
        # Even sizes are all H.264 needs; the default (16) would rescale most env pictures.
        imageio.mimsave(path, list(frames), fps=fps, macro_block_size=2)
    return path


def frames_per_second(metadata: dict, default: float = 30.0) -> float:
    """The env's own playback speed if it declares one."""
    return float(metadata.get("render_fps") or default)
