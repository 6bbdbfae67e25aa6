"""Simon: watch a growing sequence of colors, then play it back from memory."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs import rendering
from envs.rendering import TextOrImageRender
from envs.validation import check_int


class SimonEnv(TextOrImageRender, gym.Env):
    """The electronic game Simon: each round plays the sequence so far plus one new color,
    one color per step, then the player presses it back; a wrong press ends the game.

    - Observation: ``Discrete(num_colors + 1)``: the color played now, or ``num_colors`` when it
      is the player's turn to press.
    - Action: ``Discrete(num_colors)``: the button to press (ignored while colors are played).
    - Reward: ``1 / presses`` per correct press, where ``presses = rounds * (rounds + 1) / 2``.
    - Episode end: terminated at the first wrong press or after the last round is played back.
    - Scores: perfect memory 1.0. Memoryless (presses are made on the same observation, so the
      best is a guess): ``sum_{j=1..presses} num_colors**-j / presses``, 0.033 for 4 colors and
      4 rounds, 0.0061 for 4 colors and 10 rounds.

    :param num_colors: colors (buttons)
    :param rounds: rounds, each one color longer
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array", "ansi"], "render_fps": 4}

    def __init__(
        self, num_colors: int = 4, rounds: int = 4, render_mode: str | None = None
    ) -> None:
        self.num_colors = check_int("num_colors", num_colors, 2, len(rendering.PALETTE))
        self.rounds = check_int("rounds", rounds, 1)
        self.your_turn = self.num_colors
        self.presses = self.rounds * (self.rounds + 1) // 2
        self.observation_space = spaces.Discrete(self.num_colors + 1)
        self.action_space = spaces.Discrete(self.num_colors)
        self.render_mode = render_mode
        self.sequence = np.zeros(self.rounds, dtype=np.int64)
        self._round = 1  # the sequence of this round is sequence[:round]
        self._shown = 0  # colors of this round played so far
        self._pressed = 0  # buttons of this round pressed back so far
        self._last_press: int | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        super().reset(seed=seed)
        self.sequence[:] = self.np_random.integers(self.num_colors, size=self.rounds)
        self._round, self._shown, self._pressed, self._last_press = 1, 0, 0, None
        return int(self.sequence[0]), {"trial_start": True}

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        if self._shown < self._round:  # watching: the press is ignored
            self._shown += 1
            return self._observation(), 0.0, False, False, {}
        self._last_press = int(action)
        if action != self.sequence[self._pressed]:
            return self.your_turn, 0.0, True, False, {}
        self._pressed += 1
        reward = 1.0 / self.presses
        if self._pressed < self._round:
            return self.your_turn, reward, False, False, {}
        if self._round == self.rounds:  # the whole sequence played back: won
            return self.your_turn, reward, True, False, {}
        self._round += 1
        self._shown = self._pressed = 0
        self._last_press = None
        return self._observation(), reward, False, False, {}

    def _observation(self) -> int:
        return int(self.sequence[self._shown]) if self._shown < self._round else self.your_turn

    def _render_text(self) -> str:
        shown = " ".join(str(c) for c in self.sequence[: self._shown])
        if self._shown < self._round:
            return f"round {self._round}: watching {shown}\n"
        return f"round {self._round}: pressed {self._pressed}/{self._round}\n"

    def _render_image(self) -> np.ndarray:
        """The buttons in a row, the one being played lit; during the player's turn every
        button is framed, and the last press is outlined in yellow."""
        colors = rendering.PALETTE[: self.num_colors] // 3
        observation = self._observation()
        if observation != self.your_turn:
            colors[observation] = rendering.PALETTE[observation]
        tile, gap = 96, 8
        image = rendering.draw_tiles(colors[None], tile, gap=gap)
        if observation == self.your_turn:
            for button in range(self.num_colors):
                rendering.outline_tile(image, 0, button, tile, gap=gap, color=rendering.WHITE)
            if self._last_press is not None:
                rendering.outline_tile(image, 0, self._last_press, tile, gap=gap, thickness=5)
        return image
