"""Memory chain: repeat a ±1 cue seen ``length`` steps before, with nothing else to learn."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs import rendering
from envs.rendering import TextOrImageRender
from envs.validation import check_int

_CUE_COLORS = {-1: rendering.PALETTE[3], 1: rendering.PALETTE[2]}  # red -1, green +1


class MemoryChainEnv(TextOrImageRender, gym.Env):
    """A cue of -1 or +1 at the first step, then ``length`` steps of nothing; repeat the cue.

    The gap-length probe: the answer depends on one bit seen ``length`` steps before and on
    nothing else, and a time feature says when to give it, so the longest ``length`` an agent
    learns is how far its memory reaches.

    - Observation: ``Box(2)``: the cue (-1 or +1 at step 0, 0 afterwards) and the time
      feature ``t / length`` (0 at the cue, 1 at the step that is scored).
    - Action: ``Discrete(2)``: 0 says -1, 1 says +1; only the action at ``t = length`` counts.
    - Reward: +1 at ``t = length`` if the action repeats the cue, -1 if not; 0 before.
    - Episode end: terminated after ``length + 1`` steps (the env keeps this itself).
    - Scores: memoryless 0 (a guess), perfect memory 1.

    :param length: steps between the cue and the answer: how long the cue must be remembered
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array", "ansi"], "render_fps": 8}

    def __init__(self, length: int = 30, render_mode: str | None = None) -> None:
        self.length = check_int("length", length, 1)
        self.observation_space = spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
        self.action_space = spaces.Discrete(2)
        self.render_mode = render_mode
        self._cue = 1
        self._t = 0
        self._answer: int | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._cue = 1 if self.np_random.integers(2) else -1
        self._t, self._answer = 0, None
        return self._observation(), {"trial_start": True}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        reward, terminated = 0.0, self._t == self.length
        if terminated:
            self._answer = 1 if action == 1 else -1
            reward = 1.0 if self._answer == self._cue else -1.0
        else:
            self._t += 1
        return self._observation(), reward, terminated, False, {}

    def _observation(self) -> np.ndarray:
        cue = self._cue if self._t == 0 else 0
        return np.array([cue, self._t / self.length], dtype=np.float32)

    def _render_text(self) -> str:
        answer = "" if self._answer is None else f"   answer {self._answer:+d}"
        return f"cue {self._cue:+d}   t {self._t}/{self.length}{answer}\n"

    def _render_image(self) -> np.ndarray:
        # One tile per step: the cue's color at step 0, the steps passed, then the answer.
        cols = self.length + 1
        tile_w = max(1, min(96, 1024 // cols))
        colors = np.empty((1, cols, 3), np.uint8)
        colors[:] = rendering.HIDDEN
        colors[0, : self._t + 1] = rendering.FLOOR
        colors[0, 0] = _CUE_COLORS[self._cue]
        if self._answer is not None:
            colors[0, -1] = _CUE_COLORS[self._answer]
        image = rendering.draw_tiles(colors, 96, tile_w)
        rendering.outline_tile(image, 0, self._t, 96, tile_w)  # the step on show
        return image
