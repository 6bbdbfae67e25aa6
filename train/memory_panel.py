"""Video frames that show the LSTM at work: the env picture beside its recent cell state and gates.

The cell state is a heatmap (units x recent steps) of what is kept; the input, forget and output
gates show what enters, what is discarded and what is read out, and above the forget gate the
memory horizon over the window (``rl_lstm.inspection.memory_horizon``). Vertical lines mark trial
starts (solid black) and the other episode starts (dashed orange); red triangles on top mark where
the state was zeroed. In ``memory="trial"`` the orange lines have no triangle: the state is carried
across the episodes of a trial.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from rl_lstm.inspection import memory_horizon

if TYPE_CHECKING:
    from rl_lstm.inspection import MemoryTrace

GATES = (
    ("input_gate", "input gate"),
    ("forget_gate", "forget gate"),
    ("output_gate", "output gate"),
)

# How each kind of boundary is drawn: vertical lines for episode and trial starts, a marker on
# top of each heatmap for a zeroed state.
MARK_STYLES = {
    "trial start": dict(color="black", linestyle="-", lw=2.0),
    "episode start": dict(color="tab:orange", linestyle="--", lw=1.5),
    "state reset": dict(color="red", linestyle="none", marker="v", markersize=8),
}


def running_returns(rewards: np.ndarray, episode_starts: np.ndarray) -> np.ndarray:
    """Return of the current episode after each step."""
    returns = np.empty(len(rewards))
    total = 0.0
    for t, (reward, start) in enumerate(zip(rewards, episode_starts, strict=True)):
        total = reward if start else total + reward
        returns[t] = total
    return returns


def position_in_trial(trial_starts: np.ndarray, episode_starts: np.ndarray) -> np.ndarray:
    """1-based index, within its trial, of the episode each step belongs to."""
    positions = np.empty(len(episode_starts), dtype=np.int64)
    position = 0
    for t, (trial, episode) in enumerate(zip(trial_starts, episode_starts, strict=True)):
        position = 1 if trial else position + bool(episode)
        positions[t] = position
    return positions


class MemoryPanel:
    """Draws step ``t`` of a MemoryTrace: env picture, cell-state and gate heatmaps recent."""

    def __init__(self, trace: MemoryTrace, window: int = 64) -> None:
        self.trace = trace
        self.window = window
        self.returns = running_returns(np.asarray(trace.rewards), np.asarray(trace.episode_starts))
        self.episode_index = np.cumsum(trace.episode_starts)
        self.trial_index = np.cumsum(trace.trial_starts)
        self.position_in_trial = position_in_trial(
            np.asarray(trace.trial_starts), np.asarray(trace.episode_starts)
        )
        # Without trials every episode start begins a trial: mark them as episode starts.
        self.has_trials = bool(np.any(self.position_in_trial > 1))
        self.figure, self.env_axes, heatmap_cells = self._layout(trace.frames[0].shape)
        self.canvas = FigureCanvasAgg(self.figure)
        self.env_axes.set_axis_off()
        self.env_image = self.env_axes.imshow(trace.frames[0], animated=True)
        # A title of full length while the layout is made, so that room is kept for it.
        self.title = self.env_axes.set_title(self._caption(0), fontsize=10, animated=True)
        cell = np.asarray(trace.cell)
        limit = float(np.percentile(np.abs(cell), 99)) or 1.0
        self.heatmaps = {
            "cell": self._heatmap(heatmap_cells[0], "cell state", "RdBu_r", -limit, limit)
        }
        self.heatmaps["cell"].axes.set_ylabel("unit", fontsize=8)
        for cell_, (name, title) in zip(heatmap_cells[1:], GATES, strict=True):
            self.heatmaps[name] = self._heatmap(cell_, title, "viridis", 0.0, 1.0)
        self.heatmaps[GATES[-1][0]].axes.set_xlabel("steps ago", fontsize=8)
        self.horizon = self.heatmaps["forget_gate"].axes.set_title(
            "", fontsize=9, loc="right", animated=True
        )
        for image in self.heatmaps.values():
            self.figure.colorbar(image, ax=image.axes, pad=0.01, fraction=0.04)
        kinds = [kind for kind in MARK_STYLES if self.has_trials or kind != "trial start"]
        legend = [Line2D([], [], **MARK_STYLES[kind], label=kind) for kind in kinds]
        legend[-1].set_label("state zeroed")
        self.figure.legend(handles=legend, loc="outside lower right", ncol=3, fontsize=8)
        # Static parts are drawn once; each step redraws only the animated artists on top.
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        self.boundaries: list = []

    @staticmethod
    def _layout(frame_shape: tuple[int, ...]):
        """A figure sized to the env picture: a wide picture goes above the heatmaps, any other
        beside them, each as large as the panel allows. Sides are multiples of 16 pixels, as
        video encoders want."""
        aspect = frame_shape[1] / frame_shape[0]

        def sized(width: float, height: float) -> Figure:
            return Figure(
                figsize=(round(width / 0.16) * 0.16, round(height / 0.16) * 0.16),
                dpi=100,
                layout="constrained",
            )

        if aspect >= 2.0:
            picture_height = min(3.2, 12.0 / aspect) + 0.3  # and its title
            figure = sized(12.8, picture_height + 5.6)
            grid = figure.add_gridspec(5, 1, height_ratios=(picture_height, 2, 1, 1, 1))
            return figure, figure.add_subplot(grid[0]), [grid[row] for row in range(1, 5)]
        picture_width = min(7.2, 5.0 * aspect)
        figure = sized(picture_width + 7.2, 5.6)
        grid = figure.add_gridspec(
            4, 2, width_ratios=(picture_width, 7.2), height_ratios=(2, 1, 1, 1)
        )
        return figure, figure.add_subplot(grid[:, 0]), [grid[row, 1] for row in range(4)]

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
        axes.tick_params(labelsize=7)
        axes.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        return image

    def _recent(self, values: np.ndarray, t: int) -> np.ndarray:
        """Units x window of ``values`` up to step t, NaN before the first step."""
        start = max(0, t + 1 - self.window)
        recent = np.full((values.shape[1], self.window), np.nan)
        recent[:, self.window - (t + 1 - start) :] = values[start : t + 1].T
        return recent

    def horizon_at(self, t: int) -> float:
        """Memory horizon of the forget gate over the window that ends at step ``t``."""
        forget_gate = np.asarray(self.trace.forget_gate)
        return memory_horizon(forget_gate[max(0, t + 1 - self.window) : t + 1])

    def marks(self, t: int) -> list[tuple[int, str]]:
        """(step, kind) of the boundaries shown at step ``t``: each step of the window that
        begins a trial, begins another episode, or has the state zeroed before it."""
        marks = []
        for step in range(max(0, t + 1 - self.window), t + 1):
            if self.trace.trial_starts[step] and self.has_trials:
                marks.append((step, "trial start"))
            elif self.trace.episode_starts[step] or self.trace.trial_starts[step]:
                marks.append((step, "episode start"))
            if self.trace.state_resets[step]:
                marks.append((step, "state reset"))
        return marks

    def _draw_marks(self, t: int) -> None:
        self.boundaries = []
        for step, kind in self.marks(t):
            x = step - t - 0.5  # the boundary lies just before the step
            for image in self.heatmaps.values():
                if kind == "state reset":
                    (mark,) = image.axes.plot([x], [-0.5], clip_on=False, **MARK_STYLES[kind])
                else:
                    mark = image.axes.axvline(x, **MARK_STYLES[kind])
                mark.remove()  # drawn by hand over the background, never kept in the axes
                self.boundaries.append(mark)

    def _caption(self, t: int) -> str:
        where = f"episode {self.episode_index[t]}"
        if self.has_trials:
            where = f"trial {self.trial_index[t]}, episode {self.position_in_trial[t]}   ({where})"
        return f"step {t}   {where}   return {self.returns[t]:.3g}"

    def draw(self, t: int) -> np.ndarray:
        """The RGB image of step ``t``."""
        self.env_image.set_data(self.trace.frames[t])
        self.heatmaps["cell"].set_data(self._recent(np.asarray(self.trace.cell), t))
        for name, _ in GATES:
            self.heatmaps[name].set_data(self._recent(np.asarray(getattr(self.trace, name)), t))
        self._draw_marks(t)
        self.horizon.set_text(f"memory horizon {self.horizon_at(t):.3g} steps")
        self.title.set_text(self._caption(t))
        self.canvas.restore_region(self.background)
        artists = (self.env_image, self.title, self.horizon, *self.heatmaps.values())
        for artist in (*artists, *self.boundaries):
            self.figure.draw_artist(artist)
        return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()

    def draw_all(self) -> list[np.ndarray]:
        """One image per step of the trace."""
        return [self.draw(t) for t in range(len(self.trace.frames))]
