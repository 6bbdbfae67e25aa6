import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the tasks)
from envs.scoring import mean_episode_return
from envs.tmaze import CUE_UP, EAST, JUNCTION, NORTH, SOUTH, TMazeEnv


class CueOracle:
    """Remembers the cue seen at the start and walks straight to the arm it names."""

    def reset(self, observation, info):
        self.north_pays = observation == CUE_UP
        self.steps = 0

    def __call__(self, observation):
        self.steps += 1
        if observation == JUNCTION:
            return NORTH if self.north_pays else SOUTH
        return EAST


class Memoryless:
    """Walks east and always takes the north arm: what a policy without memory can do best."""

    def reset(self, observation, info):
        pass

    def __call__(self, observation):
        return NORTH if observation == JUNCTION else EAST


@pytest.mark.parametrize("length", [1, 10, 100, 1000])
def test_oracle_scores_one_in_length_plus_one_steps(length):
    env = gym.make("TMaze-v0", length=length)
    oracle = CueOracle()
    assert mean_episode_return(env, oracle, episodes=20, seed=length) == 1.0
    assert oracle.steps == length + 1  # steps of the last episode


def test_memoryless_scores_one_half():
    env = gym.make("TMaze-v0")
    score = mean_episode_return(env, Memoryless(), episodes=1000, seed=0)
    assert score == pytest.approx(0.5, abs=0.05)  # binomial std 0.016


def test_cue_is_seen_only_at_the_start():
    env = TMazeEnv(length=3)
    first, _ = env.reset(seed=1)
    seen = [first] + [env.step(EAST)[0] for _ in range(3)]
    assert seen[0] in (0, 1)
    assert seen[1:] == [2, 2, JUNCTION]
    # back at the start the cue shows again
    assert env.step(1)[0] == 2 and env.step(1)[0] == 2 and env.step(1)[0] == first


def test_both_cues_occur_and_wrong_arm_pays_nothing():
    env = TMazeEnv(length=2)
    cues = set()
    for seed in range(20):
        cue, _ = env.reset(seed=seed)
        cues.add(cue)
        env.step(EAST)
        env.step(EAST)
        wrong = SOUTH if cue == CUE_UP else NORTH
        _, reward, terminated, truncated, _ = env.step(wrong)
        assert (reward, terminated, truncated) == (0.0, True, False)
    assert cues == {0, 1}


@pytest.mark.parametrize("length", [10, 500])
def test_time_limit_scales_with_length(length):
    env = gym.make("TMaze-v0", length=length)
    env.reset(seed=0)
    steps, truncated, terminated = 0, False, False
    while not (terminated or truncated):
        _, reward, terminated, truncated, _ = env.step(NORTH)  # bump into the corridor wall
        steps += 1
    # the deadline is part of the task: it terminates, so no learner bootstraps past it
    assert terminated and not truncated and reward == 0.0
    assert steps == 2 * length + 8 == env.unwrapped.max_steps


@pytest.mark.parametrize("length", [0, -3, 2.5, "10"])
def test_bad_length_is_rejected(length):
    with pytest.raises(ValueError, match=r"length must be an integer >= 1"):
        TMazeEnv(length=length)


def test_render():
    env = TMazeEnv(length=1000, render_mode="rgb_array")
    env.reset(seed=0)
    image = env.render()
    assert image.dtype == np.uint8 and image.shape[2] == 3 and min(image.shape[:2]) >= 96
    text = TMazeEnv(length=4, render_mode="ansi")
    text.reset(seed=0)
    lines = text.render().splitlines()
    assert len(lines) == 3 and lines[1][0] == "A" and len(lines[1]) == 5


class Dawdler:
    """Walks east every other step: behind the schedule, so it never reaches the junction."""

    def reset(self, observation, info):
        self.steps = 0

    def __call__(self, observation):
        self.steps += 1
        return EAST if self.steps % 2 else 1


@pytest.mark.parametrize("length", [1, 10, 1000])
def test_passive_oracle_scores_one_and_memoryless_one_half(length):
    env = gym.make("TMaze-Passive-v0", length=length)
    oracle = CueOracle()
    assert mean_episode_return(env, oracle, episodes=20, seed=length) == 1.0
    assert oracle.steps == length + 1
    score = mean_episode_return(env, Memoryless(), episodes=400, seed=0)
    assert score == pytest.approx(0.5, abs=0.1)  # binomial std 0.025


def dawdler_episode(env) -> tuple[list[float], bool, bool]:
    """The rewards of one Dawdler episode, and whether it was terminated and truncated."""
    env.reset(seed=0)
    dawdler, rewards, terminated, truncated = Dawdler(), [], False, False
    dawdler.reset(None, {})
    while not (terminated or truncated):
        _, reward, terminated, truncated, _ = env.step(dawdler(None))
        rewards.append(reward)
    return rewards, terminated, truncated


def test_passive_penalises_each_step_behind_schedule_and_ends_in_time():
    length = 10
    rewards, terminated, truncated = dawdler_episode(gym.make("TMaze-Passive-v0", length=length))
    steps = len(rewards)
    assert terminated and not truncated and steps == length + 1
    # behind from step 2 on (positions 1, 0, 1, 0, ...); the last step is the time limit
    assert rewards == [0.0] + [-1.0 / length] * (length - 1) + [0.0]


def test_passive_is_registered_as_long_corridor_and_bad_flag_is_rejected():
    assert gym.make("TMaze-Passive-v0").unwrapped.max_steps == 101
    with pytest.raises(ValueError, match=r"passive must be True or False, got 'yes'"):
        TMazeEnv(length=10, passive="yes")
    with pytest.raises(ValueError, match=r"lag_penalty must be True or False, got 1"):
        TMazeEnv(length=10, lag_penalty=1)


@pytest.mark.parametrize("env_id", ["TMaze-Long-v0", "TMaze-VeryLong-v0"])
def test_long_corridors_charge_for_lagging_without_changing_the_scores(env_id):
    env = gym.make(env_id)
    length = env.unwrapped.length
    assert mean_episode_return(env, CueOracle(), episodes=5, seed=0) == 1.0
    score = mean_episode_return(env, Memoryless(), episodes=200, seed=0)
    assert score == pytest.approx(0.5, abs=0.15)  # binomial std 0.035
    # Behind the direct walk from step 2 on: each later step costs 1/length, up to the time
    # limit of the active maze (2 * length + 8 steps), not the passive one's length + 1.
    rewards, _, _ = dawdler_episode(env)
    assert rewards == [0.0] + [-1.0 / length] * (2 * length + 6) + [0.0]
    plain = gym.make(env_id, lag_penalty=False)
    plain.reset(seed=0)
    assert plain.step(1)[1] == 0.0  # Bakker's maze: lagging is free
