from collections import deque

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the tasks)
from envs.memory_maze import MOVES, MemoryMazeEnv, generate_maze
from envs.scoring import RandomPolicy, mean_episode_return


def distances_to(walls: np.ndarray, goal: tuple[int, int]) -> np.ndarray:
    """Steps from every cell to ``goal`` (breadth-first search; -1 where unreachable)."""
    distance = np.full(walls.shape, -1, dtype=np.int64)
    distance[goal] = 0
    queue = deque([goal])
    while queue:
        y, x = queue.popleft()
        for dy, dx in MOVES:
            ny, nx = y + dy, x + dx
            inside = 0 <= ny < walls.shape[0] and 0 <= nx < walls.shape[1]
            if inside and not walls[ny, nx] and distance[ny, nx] < 0:
                distance[ny, nx] = distance[y, x] + 1
                queue.append((ny, nx))
    return distance


def first_step_towards(distance: np.ndarray, y: int, x: int) -> int | None:
    """The move that gets one step closer, or None if the goal cannot be reached."""
    for action, (dy, dx) in enumerate(MOVES):
        ny, nx = y + dy, x + dx
        inside = 0 <= ny < distance.shape[0] and 0 <= nx < distance.shape[1]
        if inside and distance[ny, nx] >= 0 and distance[ny, nx] < distance[y, x]:
            return action
    return None


class MapOracle:
    """Knows the maze and where the targets are: the score perfect memory approaches."""

    def __init__(self, env):
        self.maze = env.unwrapped

    def reset(self, observation, info):
        self.distances = {}

    def __call__(self, observation):
        target = observation["target"]
        if target not in self.distances:
            goal = tuple(self.maze.targets[target])
            self.distances[target] = distances_to(self.maze.walls, goal)
        y, x = self.maze.agent_position
        return first_step_towards(self.distances[target], y, x)


class GreedyInView:
    """Memoryless: walks to the target when it is in the window, moves at random otherwise."""

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)

    def reset(self, observation, info):
        pass

    def __call__(self, observation):
        view = observation["view"]
        found = np.argwhere(view[1 + observation["target"]] == 1)
        centre = view.shape[1] // 2
        if len(found):
            distance = distances_to(view[0] == 1, tuple(found[0]))
            action = first_step_towards(distance, centre, centre)
            if action is not None:
                return action
        return int(self.rng.integers(4))


# Documented scores of MemoryMaze-9x9-v0 (random, greedy in view, map oracle).
SCORES_9X9 = (1.0, 6.3, 37.5)


def test_map_oracle_scores_documented_score():
    env = gym.make("MemoryMaze-9x9-v0")
    assert mean_episode_return(env, MapOracle(env), episodes=100) == pytest.approx(
        SCORES_9X9[2], abs=3.0
    )


def test_memoryless_policies_stay_near_their_scores():
    env = gym.make("MemoryMaze-9x9-v0")
    random_score = mean_episode_return(env, RandomPolicy(env.action_space), episodes=100)
    greedy_score = mean_episode_return(env, GreedyInView(), episodes=150)
    assert random_score == pytest.approx(SCORES_9X9[0], abs=0.5)
    assert greedy_score == pytest.approx(SCORES_9X9[1], abs=2.5)  # std of the mean 0.9
    assert greedy_score < SCORES_9X9[2] / 3  # memory is worth a lot here


@pytest.mark.parametrize("size", [5, 9, 15, 21])
def test_maze_is_connected_with_outer_walls(size):
    walls = generate_maze(size, np.random.default_rng(size))
    assert walls[0].all() and walls[-1].all() and walls[:, 0].all() and walls[:, -1].all()
    free = np.argwhere(~walls)
    distance = distances_to(walls, tuple(free[0]))
    assert (distance[~walls] >= 0).all()
    assert not walls[1::2, 1::2].any()  # every room is open


def test_view_is_the_window_around_the_agent():
    env = MemoryMazeEnv(size=9, num_targets=3, view_size=5)
    observation, _ = env.reset(seed=3)
    y, x = env.agent_position
    padded = np.pad(env.walls, 2, constant_values=True)
    np.testing.assert_array_equal(observation["view"][0] == 1, padded[y : y + 5, x : x + 5])
    for k, (ty, tx) in enumerate(env.targets):
        channel = observation["view"][1 + k]
        in_view = abs(ty - y) <= 2 and abs(tx - x) <= 2
        assert channel.sum() == in_view
        if in_view:
            assert channel[ty - y + 2, tx - x + 2] == 1


def test_reaching_the_target_pays_and_draws_another():
    env = MemoryMazeEnv(size=9, num_targets=4)
    observation, _ = env.reset(seed=0)
    oracle = MapOracle(env)
    oracle.reset(observation, {})
    for _ in range(200):
        target = observation["target"]
        observation, reward, terminated, _, _ = env.step(oracle(observation))
        assert not terminated
        if reward:
            assert reward == 1.0 and observation["target"] != target
            assert (env.agent_position == env.targets[target]).all()
            return
    pytest.fail("the oracle never reached a target")


def test_episode_has_fixed_length():
    env = gym.make("MemoryMaze-11x11-v0", episode_steps=37)
    env.reset(seed=0)
    flags = [env.step(env.action_space.sample())[2:4] for _ in range(37)]
    assert flags[-1] == (False, True) and not any(any(f) for f in flags[:-1])


def test_trial_keeps_maze_and_targets_and_flags_its_start():
    env = gym.make("MemoryMaze-9x9-v0", episodes_per_trial=3)
    maze = env.unwrapped
    flags, layouts = [], []
    for episode in range(7):
        _, info = env.reset(seed=5) if episode == 0 else env.reset()
        flags.append(info["trial_start"])
        layouts.append((maze.walls.copy(), maze.targets.copy()))
        env.step(0)
    assert flags == [True, False, False, True, False, False, True]
    for first, episode in ((0, 1), (0, 2), (3, 4), (3, 5)):
        np.testing.assert_array_equal(layouts[first][0], layouts[episode][0])
        np.testing.assert_array_equal(layouts[first][1], layouts[episode][1])
    assert not np.array_equal(layouts[0][0], layouts[3][0])
    # a seeded reset starts a new trial, the same one for the same seed
    _, info = env.reset(seed=5)
    assert info["trial_start"]
    np.testing.assert_array_equal(maze.walls, layouts[0][0])


def test_map_oracle_is_as_good_in_every_episode_of_a_trial():
    env = gym.make("MemoryMaze-9x9-v0", episodes_per_trial=4)
    assert mean_episode_return(env, MapOracle(env), episodes=8) > SCORES_9X9[2] - 6


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 8}, r"size must be an odd integer in \[5, 63\]"),
        ({"size": 3}, r"size must be an integer in \[5, 63\]"),
        ({"size": 5, "num_targets": 4}, r"num_targets \(for size 5\) must be .* in \[2, 3\]"),
        ({"num_targets": 1}, r"num_targets .* in \[2, 10\]"),
        ({"view_size": 4}, r"view_size must be an odd integer in \[3, 17\]"),
        ({"episode_steps": 0}, r"episode_steps must be an integer >= 1"),
        ({"episodes_per_trial": 0}, r"episodes_per_trial must be an integer >= 1"),
    ],
)
def test_bad_parameters_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MemoryMazeEnv(**kwargs)


def test_render():
    env = MemoryMazeEnv(size=15, num_targets=6, render_mode="rgb_array")
    env.reset(seed=0)
    image = env.render()
    assert image.dtype == np.uint8 and image.shape == (240, 240, 3)
    text = MemoryMazeEnv(size=9, render_mode="ansi")
    text.reset(seed=0)
    rows = text.render().splitlines()
    assert len(rows) == 9 and all(len(row) == 9 for row in rows)
    assert "@" in "".join(rows) and sum(c.isupper() for c in "".join(rows)) == 1
