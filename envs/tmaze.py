"""Bakker's T-maze: a cue at the start of a corridor says which arm of the T at its end pays."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs import rendering
from envs.rendering import TextOrImageRender
from envs.validation import check_int

CUE_UP, CUE_DOWN, CORRIDOR, JUNCTION = 0, 1, 2, 3
EAST, WEST, NORTH, SOUTH = 0, 1, 2, 3
_CUE_COLORS = (rendering.PALETTE[2], rendering.PALETTE[4])  # green: up pays, purple: down pays


class TMazeEnv(TextOrImageRender, gym.Env):
    """T-maze of Bakker (2001): remember a one-bit cue over ``length`` steps.

    The agent starts at cell 0 of a corridor; the junction of the T is cell ``length``. Only at
    cell 0 does it see the cue saying whether the north or the south arm pays.

    With ``lag_penalty=True`` every step that leaves the agent behind the direct walk (one cell
    east per step) costs ``1 / length``: an exploration aid, so that the way down the corridor is
    learned from immediate rewards at any length, while the memoryless and perfect scores stay
    those of Bakker's maze. A random walk never reaches the junction of a 100-cell corridor
    within its time limit, so without the aid a long maze fails before memory is tested.

    With ``passive=True`` it is the passive T-maze of Ni et al. (2023), which tests memory
    alone: the episode lasts exactly ``length + 1`` steps (walk the corridor, then turn), with
    the lag penalty.

    - Observation: ``Discrete(4)``: 0 cue "north pays", 1 cue "south pays", 2 corridor,
      3 junction.
    - Action: ``Discrete(4)``: 0 east (towards the junction), 1 west, 2 north, 3 south. Moving
      into a wall leaves the agent where it is.
    - Reward: +1 for taking the arm the cue named at the junction, 0 for the other arm.
    - Episode end: terminated when an arm is taken, or with reward 0 after ``2 * length + 8``
      steps (passive: ``length + 1``; the env keeps this limit itself, so it scales with
      ``length`` passed to ``gym.make``). The deadline is part of the task, so it terminates:
      a truncation would let PPO bootstrap the value of the junction and pay a dawdler for it.
    - Scores: memoryless 0.5 (always the same arm); perfect memory 1.0 in ``length + 1`` steps.
      With the lag penalty: the same, and a random walk scores below 0.

    :param length: cells from the cue to the junction: how long the cue must be remembered
    :param passive: the passive T-maze of Ni et al. (2023): fixed length, penalties for lagging
    :param lag_penalty: charge 1/length for each step behind the direct walk (exploration aid)
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array", "ansi"], "render_fps": 8}

    def __init__(
        self,
        length: int = 10,
        passive: bool = False,
        lag_penalty: bool = False,
        render_mode: str | None = None,
    ) -> None:
        self.length = check_int("length", length, 1)
        for name, value in (("passive", passive), ("lag_penalty", lag_penalty)):
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be True or False, got {value!r}")
        self.passive = passive
        self.lag_penalty = lag_penalty or passive
        self.max_steps = self.length + 1 if passive else 2 * self.length + 8
        self.observation_space = spaces.Discrete(4)
        self.action_space = spaces.Discrete(4)
        self.render_mode = render_mode
        self._position = 0
        self._steps = 0
        self._north_pays = True
        self._arm_taken: int | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        super().reset(seed=seed)
        self._north_pays = bool(self.np_random.integers(2) == 0)
        self._position, self._steps, self._arm_taken = 0, 0, None
        return self._observation(), {"trial_start": True}

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        self._steps += 1
        reward, terminated = 0.0, False
        if action == EAST:
            self._position = min(self._position + 1, self.length)
        elif action == WEST:
            self._position = max(self._position - 1, 0)
        elif self._position == self.length:  # north or south at the junction ends the episode
            self._arm_taken = int(action)
            terminated = True
            reward = 1.0 if (action == NORTH) == self._north_pays else 0.0
        too_late = not terminated and self._steps >= self.max_steps
        if self.lag_penalty and not (terminated or too_late) and self._position < self._steps:
            reward = -1.0 / self.length  # behind the walk that reaches the junction in time
        return self._observation(), reward, terminated or too_late, False, {}

    def _observation(self) -> int:
        if self._position == 0:
            return CUE_UP if self._north_pays else CUE_DOWN
        return JUNCTION if self._position == self.length else CORRIDOR

    def _render_text(self) -> str:
        cells = ["."] * (self.length + 1)
        cells[0] = "^" if self._north_pays else "v"
        cells[self._position] = "A"
        arm_row = " " * self.length
        north = "N" if self._arm_taken == NORTH else "+" if self._north_pays else "-"
        south = "N" if self._arm_taken == SOUTH else "-" if self._north_pays else "+"
        return f"{arm_row}{north}\n{''.join(cells)}\n{arm_row}{south}\n"

    def _render_image(self) -> np.ndarray:
        cols = self.length + 1
        tile_w = max(1, min(32, 1024 // cols))
        tile_h = 32  # three rows of 32 px: 96 px high even for very long corridors
        colors = np.empty((3, cols, 3), np.uint8)
        colors[:] = rendering.BACKGROUND
        colors[1] = rendering.FLOOR
        cue_color = _CUE_COLORS[0] if self._north_pays else _CUE_COLORS[1]
        colors[1, 0] = cue_color
        colors[0 if self._north_pays else 2, -1] = cue_color  # the arm that pays
        colors[2 if self._north_pays else 0, -1] = rendering.WALL
        image = rendering.draw_tiles(colors, tile_h, tile_w)
        row = {NORTH: 0, SOUTH: 2}.get(self._arm_taken, 1)
        col = self._position if self._arm_taken is None else self.length
        rendering.mark_tile_center(image, row, col, tile_h, tile_w)
        rendering.outline_tile(image, row, col, tile_h, tile_w)  # the cell the agent sees
        return image
