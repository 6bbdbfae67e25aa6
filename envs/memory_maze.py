"""A 2D Memory Maze: collect colored targets in a maze seen through a small window."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs import rendering
from envs.rendering import TextOrImageRender
from envs.trials import TrialSchedule
from envs.validation import check_int

# Row/column offsets of the actions north, east, south, west.
MOVES = np.array([(-1, 0), (0, 1), (1, 0), (0, -1)], dtype=np.int64)
# Share of the walls left between neighbouring rooms by the spanning tree that are opened,
# so the maze has loops and several routes, like DeepMind's Memory Maze.
LOOP_FRACTION = 0.25
MAX_SIZE = 63


def generate_maze(size: int, rng: np.random.Generator) -> np.ndarray:
    """Return a (size, size) bool wall map: rooms at odd coordinates joined by a random spanning
    tree (depth-first search), then ``LOOP_FRACTION`` of the remaining inner walls opened."""
    rooms = (size - 1) // 2
    moves = MOVES.tolist()  # Python ints: numpy scalars would make this loop ~3x slower
    walls = np.ones((size, size), dtype=bool)
    visited = np.zeros((rooms, rooms), dtype=bool)
    start = (int(rng.integers(rooms)), int(rng.integers(rooms)))
    visited[start] = True
    walls[2 * start[0] + 1, 2 * start[1] + 1] = False
    stack = [start]
    while stack:
        i, j = stack[-1]
        unvisited = [
            (di, dj)
            for di, dj in moves
            if 0 <= i + di < rooms and 0 <= j + dj < rooms and not visited[i + di, j + dj]
        ]
        if not unvisited:
            stack.pop()
            continue
        di, dj = unvisited[rng.integers(len(unvisited))]
        walls[2 * i + 1 + di, 2 * j + 1 + dj] = False
        walls[2 * (i + di) + 1, 2 * (j + dj) + 1] = False
        visited[i + di, j + dj] = True
        stack.append((i + di, j + dj))
    # Inner walls between two rooms sit at one odd and one even coordinate.
    ys, xs = np.nonzero(walls[1:-1, 1:-1])
    ys, xs = ys + 1, xs + 1
    between_rooms = (ys % 2) != (xs % 2)
    candidates = np.stack([ys[between_rooms], xs[between_rooms]], axis=1)
    opened = rng.permutation(len(candidates))[: round(LOOP_FRACTION * len(candidates))]
    walls[candidates[opened, 0], candidates[opened, 1]] = False
    return walls


class MemoryMazeEnv(TextOrImageRender, gym.Env):
    """Collect colored targets in a grid maze seen only through a window around the agent.

    A 2D cousin of DeepMind's Memory Maze: a maze of ``size`` x ``size`` cells (outer walls
    included) is generated from the seed, with ``num_targets`` targets of distinct colors in
    its rooms. The agent is told the color of its current target; reaching it gives +1 and a
    new target color is drawn (never the same one). Remembering where the targets are pays
    over the episode.

    - Observation: ``Dict(view=Box(0, 1, (num_targets + 1, view_size, view_size), float32),
      target=Discrete(num_targets))``. ``view`` is a channel-first one-hot window centred on
      the agent (north up, no occlusion): channel 0 marks walls, channel ``1 + k`` target
      ``k``; ``target`` is the index (color) of the current target.
    - Action: ``Discrete(4)``: north, east, south, west; walking into a wall is a no-op.
    - Reward: +1 for stepping onto the current target.
    - Episode end: truncated after ``episode_steps`` steps (default ``25 * (size + 1)``).
    - Trials: with ``episodes_per_trial=K`` the maze and targets are kept for K episodes; each
      episode starts the agent at a new random cell with a new first target.
    - Scores (mean return over 1000 episodes; random policy / memoryless policy that walks to
      the target when it is in view and moves at random otherwise / oracle that knows the
      maze): 9x9: 1.0 / 6.3 / 37.5; 11x11: 0.7 / 2.0 / 33.8; 13x13: 0.5 / 1.3 / 31.1;
      15x15: 0.4 / 0.9 / 31.0. Perfect memory approaches the oracle once the maze has been
      explored, and from the first step in later episodes of a trial.

    :param size: cells on a side of the maze, outer walls included (odd)
    :param num_targets: targets of distinct colors to collect
    :param episode_steps: steps per episode (default 25 * (size + 1))
    :param view_size: cells on a side of the window the agent sees (odd)
    :param episodes_per_trial: episodes that keep the same maze and targets
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array", "ansi"], "render_fps": 10}

    def __init__(
        self,
        size: int = 9,
        num_targets: int = 3,
        episode_steps: int | None = None,
        view_size: int = 5,
        episodes_per_trial: int = 1,
        render_mode: str | None = None,
    ) -> None:
        size = check_int("size", size, 5, MAX_SIZE)
        if size % 2 == 0:
            raise ValueError(f"size must be an odd integer in [5, {MAX_SIZE}], got {size}")
        rooms = ((size - 1) // 2) ** 2
        max_targets = min(len(rendering.PALETTE), rooms - 1)
        self.size = size
        self.num_targets = check_int(f"num_targets (for size {size})", num_targets, 2, max_targets)
        default_steps = 25 * (size + 1)
        self.episode_steps = check_int(
            "episode_steps", default_steps if episode_steps is None else episode_steps, 1
        )
        self.view_size = check_int("view_size", view_size, 3, 2 * size - 1)
        if self.view_size % 2 == 0:
            raise ValueError(
                f"view_size must be an odd integer in [3, {2 * size - 1}], got {view_size}"
            )
        self._trials = TrialSchedule(episodes_per_trial)
        self.episodes_per_trial = self._trials.episodes_per_trial
        self.render_mode = render_mode

        channels = self.num_targets + 1
        self.observation_space = spaces.Dict(
            {
                "view": spaces.Box(0.0, 1.0, (channels, view_size, view_size), np.float32),
                "target": spaces.Discrete(self.num_targets),
            }
        )
        self.action_space = spaces.Discrete(4)

        pad = self.view_size // 2
        # Walls and targets as one-hot layers, padded with walls so every window is a slice.
        self._layers = np.zeros((channels, size + 2 * pad, size + 2 * pad), dtype=np.float32)
        self.walls = np.ones((size, size), dtype=bool)
        self.targets = np.zeros((self.num_targets, 2), dtype=np.int64)
        self.agent_position = np.zeros(2, dtype=np.int64)
        self.current_target = 0
        self._steps = 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        super().reset(seed=seed)
        trial_start = self._trials.begin_episode(seeded=seed is not None)
        if trial_start:
            self._new_layout()
        self.agent_position[:] = self._starts[self.np_random.integers(len(self._starts))]
        self.current_target = int(self.np_random.integers(self.num_targets))
        self._steps = 0
        return self._observation(), {"trial_start": trial_start}

    def _new_layout(self) -> None:
        self.walls = generate_maze(self.size, self.np_random)
        rooms_per_side = (self.size - 1) // 2
        chosen = self.np_random.choice(rooms_per_side**2, self.num_targets, replace=False)
        self.targets[:, 0] = 2 * (chosen // rooms_per_side) + 1
        self.targets[:, 1] = 2 * (chosen % rooms_per_side) + 1
        occupied = self.walls.copy()
        occupied[self.targets[:, 0], self.targets[:, 1]] = True
        self._starts = np.argwhere(~occupied)  # free cells without a target
        pad = self.view_size // 2
        self._layers[:] = 0.0
        self._layers[0] = 1.0
        self._layers[0, pad : pad + self.size, pad : pad + self.size] = self.walls
        for k, (y, x) in enumerate(self.targets):
            self._layers[1 + k, pad + y, pad + x] = 1.0

    def step(self, action: int) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        y = self.agent_position[0] + MOVES[action, 0]
        x = self.agent_position[1] + MOVES[action, 1]
        reward = 0.0
        if not self.walls[y, x]:
            self.agent_position[0], self.agent_position[1] = y, x
            target = self.targets[self.current_target]
            if y == target[0] and x == target[1]:
                reward = 1.0
                other = int(self.np_random.integers(self.num_targets - 1))
                self.current_target = other + (other >= self.current_target)
        self._steps += 1
        truncated = self._steps >= self.episode_steps
        return self._observation(), reward, False, truncated, {}

    def _observation(self) -> dict[str, Any]:
        y, x = self.agent_position
        view = self._layers[:, y : y + self.view_size, x : x + self.view_size].copy()
        return {"view": view, "target": self.current_target}

    def _render_text(self) -> str:
        chars = np.where(self.walls, "#", ".").astype("<U1")
        for k, (y, x) in enumerate(self.targets):
            letter = chr(ord("a") + k)
            chars[y, x] = letter.upper() if k == self.current_target else letter
        chars[tuple(self.agent_position)] = "@"
        return "\n".join("".join(row) for row in chars) + "\n"

    def _render_image(self) -> np.ndarray:
        colors = np.where(self.walls[..., None], rendering.WALL, rendering.FLOOR)
        for k, (y, x) in enumerate(self.targets):
            colors[y, x] = rendering.PALETTE[k]
        # Cells outside the agent's window are drawn darker.
        pad = self.view_size // 2
        y, x = self.agent_position
        visible = np.zeros_like(self.walls)
        visible[max(0, y - pad) : y + pad + 1, max(0, x - pad) : x + pad + 1] = True
        colors[~visible] = colors[~visible] // 2
        tile = max(8, 240 // self.size)
        image = rendering.draw_tiles(colors, tile)
        target_y, target_x = self.targets[self.current_target]
        rendering.outline_tile(image, target_y, target_x, tile, thickness=3)
        rendering.mark_tile_center(image, y, x, tile)
        return image
