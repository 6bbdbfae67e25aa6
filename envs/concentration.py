"""Concentration, the memory card game: pairs of cards face down, only flipped faces are seen."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs import rendering
from envs.rendering import TextOrImageRender
from envs.validation import check_int

FACE_DOWN, MATCHED = 0, 1  # observation codes; face f shows as 2 + f
_NO_CARD = -1


class ConcentrationEnv(TextOrImageRender, gym.Env):
    """Concentration (Memory, Pairs): find the pairs of a shuffled deck laid face down.

    The ``rows * cols`` cards hold ``rows * cols / 2`` pairs. Each step flips one card. Two
    flips make a turn: a matching pair stays face up and is out of the game; otherwise both
    cards stay visible for one step and are turned face down by the next flip.

    - Observation: ``MultiDiscrete([pairs + 2] * cards)``, one entry per card: 0 face down,
      1 matched, ``2 + f`` showing face ``f``.
    - Action: ``Discrete(cards)``: the card to flip. Flipping a matched card or the card
      already face up this turn wastes the step.
    - Reward: ``1 / pairs`` per pair found.
    - Episode end: terminated when every pair is found; truncated after ``4 * pairs`` flips
      (enough for perfect memory: no card needs more than two flips).
    - Scores: perfect memory 1.0. Memoryless (flip a random face-down card; 20000 seeds):
      3x4 0.213, 4x4 0.147, 6x6 0.059.

    :param rows: rows of cards
    :param cols: columns of cards (rows * cols must be even)
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array", "ansi"], "render_fps": 4}

    def __init__(self, rows: int = 4, cols: int = 4, render_mode: str | None = None) -> None:
        self.rows = check_int("rows", rows, 2, 6)
        self.cols = check_int("cols", cols, 2, 6)
        self.num_cards = self.rows * self.cols
        if self.num_cards % 2:
            raise ValueError(f"rows * cols must be even to make pairs, got {rows} * {cols}")
        self.num_pairs = self.num_cards // 2
        self.max_flips = 4 * self.num_pairs
        self.observation_space = spaces.MultiDiscrete(
            np.full(self.num_cards, self.num_pairs + 2, dtype=np.int64)
        )
        self.action_space = spaces.Discrete(self.num_cards)
        self.render_mode = render_mode
        self.faces = np.zeros(self.num_cards, dtype=np.int64)
        self._board = np.zeros(self.num_cards, dtype=np.int64)  # the observation, kept updated
        self._first = _NO_CARD  # first card of the turn in progress
        self._mismatch = (_NO_CARD, _NO_CARD)  # last turn's two cards, shown until next flip
        self._last_flip = _NO_CARD
        self._flips = 0
        self._pairs_found = 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.faces[:] = self.np_random.permutation(np.arange(self.num_cards) // 2)
        self._board[:] = FACE_DOWN
        self._first, self._mismatch, self._last_flip = _NO_CARD, (_NO_CARD, _NO_CARD), _NO_CARD
        self._flips = self._pairs_found = 0
        return self._board.copy(), {"trial_start": True}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        card = int(action)
        self._flips += 1
        self._last_flip = card
        reward = 0.0
        if self._mismatch[0] != _NO_CARD:
            self._board[list(self._mismatch)] = FACE_DOWN
            self._mismatch = (_NO_CARD, _NO_CARD)
        if self._board[card] == MATCHED or card == self._first:
            pass  # a wasted flip
        elif self._first == _NO_CARD:
            self._first = card
            self._board[card] = 2 + self.faces[card]
        else:
            first, self._first = self._first, _NO_CARD
            if self.faces[card] == self.faces[first]:
                self._board[[first, card]] = MATCHED
                self._pairs_found += 1
                reward = 1.0 / self.num_pairs
            else:
                self._board[card] = 2 + self.faces[card]
                self._mismatch = (first, card)
        terminated = self._pairs_found == self.num_pairs
        truncated = not terminated and self._flips >= self.max_flips
        return self._board.copy(), reward, terminated, truncated, {}

    def _render_text(self) -> str:
        symbols = {FACE_DOWN: "##", MATCHED: "  "}
        cells = [symbols.get(v, f"{v - 2:2d}") for v in self._board]
        lines = [" ".join(cells[r * self.cols : (r + 1) * self.cols]) for r in range(self.rows)]
        return "\n".join(lines) + f"\nfound {self._pairs_found}/{self.num_pairs}\n"

    def _render_image(self) -> np.ndarray:
        palette = rendering.PALETTE
        colors = np.empty((self.num_cards, 3), np.uint8)
        colors[:] = rendering.HIDDEN
        colors[self._board == MATCHED] = rendering.BACKGROUND
        shown = self._board >= 2
        colors[shown] = palette[(self._board[shown] - 2) % len(palette)]
        tile, gap = 40, 6
        image = rendering.draw_tiles(colors.reshape(self.rows, self.cols, 3), tile, gap=gap)
        for card in np.flatnonzero(shown):
            row, col = divmod(int(card), self.cols)
            if self._board[card] - 2 >= len(palette):  # faces past the palette get a white dot
                rendering.mark_tile_center(image, row, col, tile, gap=gap, color=rendering.WHITE)
        if self._last_flip != _NO_CARD:
            row, col = divmod(self._last_flip, self.cols)
            rendering.outline_tile(image, row, col, tile, gap=gap, thickness=3)
        return image
