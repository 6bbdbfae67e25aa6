"""RepeatPrevious: name the card that was shown a fixed number of steps ago."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs import rendering
from envs.rendering import TextOrImageRender
from envs.validation import check_int


class RepeatPreviousEnv(TextOrImageRender, gym.Env):
    """A stream of random cards; at every step, name the card shown ``delay`` steps before.

    - Observation: ``Discrete(num_symbols)``: the card shown now.
    - Action: ``Discrete(num_symbols)``: the card shown ``delay`` steps ago (ignored during the
      first ``delay`` steps, when there is none).
    - Reward: ``1 / (length - delay)`` for each correct answer.
    - Episode end: terminated after ``length`` steps.
    - Scores: memoryless ``1 / num_symbols`` (the cards are independent and uniform), perfect
      memory 1.0.

    :param num_symbols: kinds of cards
    :param delay: steps back the card to name was shown
    :param length: steps per episode
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array", "ansi"], "render_fps": 4}

    def __init__(
        self,
        num_symbols: int = 4,
        delay: int = 4,
        length: int = 52,
        render_mode: str | None = None,
    ) -> None:
        self.num_symbols = check_int("num_symbols", num_symbols, 2, len(rendering.PALETTE))
        self.delay = check_int("delay", delay, 1)
        self.length = check_int(f"length (for delay {self.delay})", length, self.delay + 1)
        self.observation_space = spaces.Discrete(self.num_symbols)
        self.action_space = spaces.Discrete(self.num_symbols)
        self.render_mode = render_mode
        self.cards = np.zeros(self.length, dtype=np.int64)
        self._reward = 1.0 / (self.length - self.delay)
        self._t = 0
        self._last_answer: int | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        super().reset(seed=seed)
        self.cards[:] = self.np_random.integers(self.num_symbols, size=self.length)
        self._t, self._last_answer = 0, None
        return int(self.cards[0]), {"trial_start": True}

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        t = self._t
        correct = t >= self.delay and action == self.cards[t - self.delay]
        self._last_answer = int(action)
        self._t = t + 1
        terminated = self._t == self.length
        observation = int(self.cards[min(self._t, self.length - 1)])
        return observation, self._reward if correct else 0.0, terminated, False, {}

    def _window(self) -> np.ndarray:
        """The last ``delay + 1`` cards up to the one on show, oldest first (-1 before start)."""
        t = min(self._t, self.length - 1)
        window = np.full(self.delay + 1, -1, dtype=np.int64)
        shown = self.cards[max(0, t - self.delay) : t + 1]
        window[len(window) - len(shown) :] = shown
        return window

    def _render_text(self) -> str:
        window = " ".join("-" if c < 0 else str(c) for c in self._window())
        answer = "-" if self._last_answer is None else self._last_answer
        return f"cards {window}   last answer {answer}\n"

    def _render_image(self) -> np.ndarray:
        window = self._window()
        colors = np.empty((1, len(window), 3), np.uint8)
        colors[:] = rendering.HIDDEN
        colors[0, window >= 0] = rendering.PALETTE[window[window >= 0]]
        tile_h, tile_w = 96, max(4, min(96, 1024 // len(window)))
        image = rendering.draw_tiles(colors, tile_h, tile_w, gap=4)
        rendering.outline_tile(image, 0, len(window) - 1, tile_h, tile_w, gap=4)  # seen now
        rendering.outline_tile(image, 0, 0, tile_h, tile_w, gap=4, color=rendering.WHITE)  # asked
        return image
