"""A multi-armed bandit played as a trial of one-pull episodes (meta-learning across episodes)."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs import rendering
from envs.rendering import TextOrImageRender
from envs.trials import TrialSchedule
from envs.validation import check_int

_PAID = np.array((60, 180, 75), dtype=np.uint8)
_NOT_PAID = np.array((200, 60, 60), dtype=np.uint8)


class TrialBanditEnv(TextOrImageRender, gym.Env):
    """Bernoulli bandit whose arms keep their payout probabilities for a trial of
    ``episodes_per_trial`` one-pull episodes, as in RL² (Duan et al., 2016).

    The probabilities are drawn uniformly from [0, 1] at the start of every trial. Only memory
    carried across episodes can tell which arm is good.

    - Observation: ``Box(0, 1, (num_arms + 1,), float32)``: one-hot previous pull of the trial
      and the reward it paid (all zeros at the start of a trial).
    - Action: ``Discrete(num_arms)``: the arm to pull.
    - Reward: 1 with the arm's payout probability, else 0.
    - Episode end: terminated after the one pull.
    - Scores (total reward over a trial of 10 pulls of 5 arms, 20000 trials): random 5.0;
      the best memoryless policy, win-stay lose-shift, which sees only the previous pull:
      6.3; Bayes-optimal (perfect memory, as the Gittins index) 6.66. The observation makes
      one step of memory free; what memory adds is the last 0.36.

    :param num_arms: arms of the bandit
    :param episodes_per_trial: one-pull episodes that keep the same payout probabilities
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array", "ansi"], "render_fps": 4}

    def __init__(
        self, num_arms: int = 5, episodes_per_trial: int = 10, render_mode: str | None = None
    ) -> None:
        self.num_arms = check_int("num_arms", num_arms, 2)
        self._trials = TrialSchedule(episodes_per_trial)
        self.episodes_per_trial = self._trials.episodes_per_trial
        self.observation_space = spaces.Box(0.0, 1.0, (self.num_arms + 1,), np.float32)
        self.action_space = spaces.Discrete(self.num_arms)
        self.render_mode = render_mode
        self.payout_probabilities = np.zeros(self.num_arms)
        self._observation = np.zeros(self.num_arms + 1, dtype=np.float32)
        self._pulls: list[tuple[int, float]] = []  # (arm, reward) of this trial, for rendering

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        trial_start = self._trials.begin_episode(seeded=seed is not None)
        if trial_start:
            self.payout_probabilities[:] = self.np_random.random(self.num_arms)
            self._observation[:] = 0.0
            self._pulls.clear()
        return self._observation.copy(), {"trial_start": trial_start}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        arm = int(action)
        reward = float(self.np_random.random() < self.payout_probabilities[arm])
        self._observation[:] = 0.0
        self._observation[arm] = 1.0
        self._observation[-1] = reward
        self._pulls.append((arm, reward))
        return self._observation.copy(), reward, True, False, {}

    def _render_text(self) -> str:
        pulls = " ".join(f"{arm}:{int(reward)}" for arm, reward in self._pulls)
        return f"pulls {len(self._pulls)}/{self.episodes_per_trial}  {pulls}\n"

    def _render_image(self) -> np.ndarray:
        """One column per arm: its payout probability on top as a gray level (hidden from the
        agent), under it the trial's pulls of that arm, green when paid; last pull outlined."""
        rows = 1 + self.episodes_per_trial
        colors = np.empty((rows, self.num_arms, 3), np.uint8)
        colors[:] = rendering.BACKGROUND
        colors[0] = (255 * self.payout_probabilities[:, None]).astype(np.uint8)
        heights = np.ones(self.num_arms, dtype=np.int64)
        for arm, reward in self._pulls:
            colors[heights[arm], arm] = _PAID if reward else _NOT_PAID
            heights[arm] += 1
        tile_h, tile_w = max(6, 200 // rows), max(40, 200 // self.num_arms)
        image = rendering.draw_tiles(colors, tile_h, tile_w, gap=2)
        if self._pulls:
            arm = self._pulls[-1][0]
            rendering.outline_tile(image, heights[arm] - 1, arm, tile_h, tile_w, gap=2)
        return image
