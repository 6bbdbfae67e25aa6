"""Video frames that show the LSTM at work: the env picture beside its recent cell state and gates.

The cell state is a heatmap (units x recent steps) of what is kept; the input, forget and output
gates show what enters, what is discarded and what is read out. Vertical lines mark episode
starts (dashed orange) and trial starts (solid black): one sees the state carried across them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from rl_lstm.inspection import MemoryTrace

GATES = (
    ("input_gate", "input gate"),
    ("forget_gate", "forget gate"),
    ("output_gate", "output gate"),
)


def running_returns(rewards: np.ndarray, episode_starts: np.ndarray) -> np.ndarray:
    """Return of the current episode after each step."""
    returns = np.empty(len(rewards))
    total = 0.0
    for t, (reward, start) in enumerate(zip(rewards, episode_starts, strict=True)):
        total = reward if start else total + reward
        returns[t] = total
    return returns


class MemoryPanel:
    """Draws step ``t`` of a MemoryTrace: env picture, cell-state and gate heatmaps recent."""

    def __init__(self, trace: MemoryTrace, window: int = 64) -> None:
        self.trace = trace
        self.window = window
        self.returns = running_returns(np.asarray(trace.rewards), np.asarray(trace.episode_starts))
        self.episode_index = np.cumsum(trace.episode_starts)
        self.figure = Figure(figsize=(12.8, 5.6), dpi=100)
        self.canvas = FigureCanvasAgg(self.figure)
        grid = self.figure.add_gridspec(
            4, 2, width_ratios=(1.0, 1.3), height_ratios=(2, 1, 1, 1), hspace=0.45, wspace=0.08
        )
        self.env_axes = self.figure.add_subplot(grid[:, 0])
        self.env_axes.set_axis_off()
        self.env_image = self.env_axes.imshow(trace.frames[0], animated=True)
        self.title = self.env_axes.set_title("", fontsize=10, animated=True)
        cell = np.asarray(trace.cell)
        limit = float(np.percentile(np.abs(cell), 99)) or 1.0
        self.heatmaps = {"cell": self._heatmap(grid[0, 1], "cell state", "RdBu_r", -limit, limit)}
        for row, (name, title) in enumerate(GATES, start=1):
            self.heatmaps[name] = self._heatmap(grid[row, 1], title, "viridis", 0.0, 1.0)
        self.heatmaps[GATES[-1][0]].axes.set_xlabel("steps ago")
        for image in self.heatmaps.values():
            self.figure.colorbar(image, ax=image.axes, pad=0.02)
        # Static parts are drawn once; each step redraws only the animated artists on top.
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        self.boundaries: list = []

    def _heatmap(self, cell, title: str, cmap: str, vmin: float, vmax: float):
        axes = self.figure.add_subplot(cell)
        units = np.asarray(self.trace.cell).shape[1]
        empty = np.full((units, self.window), np.nan)
        image = axes.imshow(
            empty,
            aspect="auto",
            interpolation="nearest",
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            animated=True,
            extent=(-self.window + 0.5, 0.5, units - 0.5, -0.5),
        )
        axes.set_title(title, fontsize=9, loc="left")
        axes.set_ylabel("unit", fontsize=8)
        axes.tick_params(labelsize=7)
        return image

    def _recent(self, values: np.ndarray, t: int) -> np.ndarray:
        """Units x window of ``values`` up to step t, NaN before the first step."""
        start = max(0, t + 1 - self.window)
        recent = np.full((values.shape[1], self.window), np.nan)
        recent[:, self.window - (t + 1 - start) :] = values[start : t + 1].T
        return recent

    def _mark_boundaries(self, t: int) -> None:
        self.boundaries = []
        start = max(0, t + 1 - self.window)
        for step in range(start, t + 1):
            trial = bool(self.trace.trial_starts[step])
            if not (trial or self.trace.episode_starts[step]):
                continue
            color, style, width = ("black", "-", 2.0) if trial else ("tab:orange", "--", 1.5)
            for image in self.heatmaps.values():
                line = image.axes.axvline(step - t - 0.5, color=color, linestyle=style, lw=width)
                line.remove()  # drawn by hand over the background, never kept in the axes
                self.boundaries.append(line)

    def draw(self, t: int) -> np.ndarray:
        """The RGB image of step ``t``."""
        self.env_image.set_data(self.trace.frames[t])
        self.heatmaps["cell"].set_data(self._recent(np.asarray(self.trace.cell), t))
        for name, _ in GATES:
            self.heatmaps[name].set_data(self._recent(np.asarray(getattr(self.trace, name)), t))
        self._mark_boundaries(t)
        self.title.set_text(
            f"step {t}   episode {self.episode_index[t]}   return {self.returns[t]:.3g}"
        )
        self.canvas.restore_region(self.background)
        for artist in (self.env_image, self.title, *self.heatmaps.values(), *self.boundaries):
            self.figure.draw_artist(artist)
        return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()

    def draw_all(self) -> list[np.ndarray]:
        """One image per step of the trace."""
        return [self.draw(t) for t in range(len(self.trace.frames))]
