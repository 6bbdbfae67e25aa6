from collections import deque

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the tasks)
from envs.repeat_previous import RepeatPreviousEnv
from envs.scoring import RandomPolicy, mean_episode_return


class PerfectMemory:
    """Keeps the last ``delay + 1`` cards it saw and names the oldest."""

    def __init__(self, delay):
        self.delay = delay

    def reset(self, observation, info):
        self.seen = deque(maxlen=self.delay + 1)

    def __call__(self, observation):
        self.seen.append(observation)
        return self.seen[0]


class RepeatCurrent:
    """Memoryless: names the card on show."""

    def reset(self, observation, info):
        pass

    def __call__(self, observation):
        return observation


@pytest.mark.parametrize(
    ("env_id", "delay"), [("RepeatPrevious-Easy-v0", 4), ("RepeatPrevious-Hard-v0", 32)]
)
def test_perfect_memory_scores_one(env_id, delay):
    env = gym.make(env_id)
    assert mean_episode_return(env, PerfectMemory(delay), episodes=50) == pytest.approx(1.0)


@pytest.mark.parametrize("env_id", ["RepeatPrevious-Easy-v0", "RepeatPrevious-Hard-v0"])
def test_memoryless_and_random_score_one_over_symbols(env_id):
    env = gym.make(env_id)
    random_score = mean_episode_return(env, RandomPolicy(env.action_space), episodes=400)
    current_score = mean_episode_return(env, RepeatCurrent(), episodes=400)
    # std of the mean at most sqrt(0.25 * 0.75 / (400 * 48)) = 0.003
    assert random_score == pytest.approx(0.25, abs=0.015)
    assert current_score == pytest.approx(0.25, abs=0.015)


def test_first_answers_are_not_scored_and_episode_has_fixed_length():
    env = RepeatPreviousEnv(num_symbols=3, delay=2, length=6)
    first, _ = env.reset(seed=0)
    cards = [first]
    rewards, flags = [], []
    for t in range(6):
        answer = cards[t - 2] if t >= 2 else cards[0]
        card, reward, terminated, truncated, _ = env.step(answer)
        cards.append(card)
        rewards.append(reward)
        flags.append((terminated, truncated))
    assert rewards == [0.0, 0.0, 0.25, 0.25, 0.25, 0.25]
    assert flags[-1] == (True, False) and not any(any(f) for f in flags[:-1])
    np.testing.assert_array_equal(cards[:6], env.cards)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"delay": 0}, r"delay must be an integer >= 1"),
        ({"delay": 8, "length": 8}, r"length \(for delay 8\) must be an integer >= 9"),
        ({"num_symbols": 1}, r"num_symbols must be an integer in \[2, 10\]"),
    ],
)
def test_bad_parameters_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RepeatPreviousEnv(**kwargs)


def test_render():
    env = RepeatPreviousEnv(delay=32, length=104, render_mode="rgb_array")
    env.reset(seed=0)
    for _ in range(40):
        env.step(0)
    image = env.render()
    assert image.dtype == np.uint8 and image.shape[0] == 104 and image.shape[1] >= 96
    text = RepeatPreviousEnv(delay=2, render_mode="ansi")
    text.reset(seed=0)
    assert text.render().startswith("cards - - ")
