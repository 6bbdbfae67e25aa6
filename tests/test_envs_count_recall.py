import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the tasks)
from envs.count_recall import CountRecallEnv
from envs.scoring import RandomPolicy, mean_episode_return


class PerfectMemory:
    """Counts every card dealt."""

    def __init__(self, num_symbols):
        self.num_symbols = num_symbols

    def reset(self, observation, info):
        self.counts = np.zeros(self.num_symbols, dtype=np.int64)

    def __call__(self, observation):
        card, query = observation
        self.counts[card] += 1
        return int(self.counts[query])


class BestMemoryless:
    """Answers the most frequent count given only whether the card dealt is the kind asked
    (a table measured from dealt decks)."""

    def __init__(self, answers):
        self.answers = answers  # answer when the card is not / is of the kind asked

    def reset(self, observation, info):
        pass

    def __call__(self, observation):
        return self.answers[int(observation[0] == observation[1])]


def best_memoryless_answers(copies, num_symbols=4, decks=2000, seed=0):
    """The modal count given whether the card dealt now is the kind asked."""
    rng = np.random.default_rng(seed)
    tally = np.zeros((2, copies + 1))
    deck = np.repeat(np.arange(num_symbols), copies)
    for _ in range(decks):
        cards = rng.permutation(deck)
        queries = rng.integers(num_symbols, size=len(cards))
        counts = np.cumsum(cards[:, None] == np.arange(num_symbols), axis=0)
        asked = counts[np.arange(len(cards)), queries]
        np.add.at(tally, ((cards == queries).astype(np.int64), asked), 1)
    return tally.argmax(axis=1)


# Documented scores of the best memoryless policy.
MEMORYLESS = {"CountRecall-Easy-v0": (4, 0.212), "CountRecall-Hard-v0": (13, 0.073)}


@pytest.mark.parametrize("env_id", sorted(MEMORYLESS))
def test_perfect_memory_scores_one(env_id):
    env = gym.make(env_id)
    policy = PerfectMemory(env.unwrapped.num_symbols)
    assert mean_episode_return(env, policy, episodes=50) == pytest.approx(1.0)


@pytest.mark.parametrize("env_id", sorted(MEMORYLESS))
def test_memoryless_and_random_stay_near_their_scores(env_id):
    copies, memoryless = MEMORYLESS[env_id]
    env = gym.make(env_id)
    best = BestMemoryless(best_memoryless_answers(copies, decks=300))
    assert mean_episode_return(env, best, episodes=600) == pytest.approx(memoryless, abs=0.02)
    random_score = mean_episode_return(env, RandomPolicy(env.action_space), episodes=600)
    assert random_score == pytest.approx(1 / (copies + 1), abs=0.02)


def test_counts_include_the_card_dealt_now_and_episode_ends_with_the_deck():
    env = CountRecallEnv(num_symbols=2, copies=2)
    observation, _ = env.reset(seed=0)
    counts = np.zeros(2, dtype=np.int64)
    for step in range(4):
        counts[observation[0]] += 1
        answer = counts[observation[1]]
        observation, reward, terminated, truncated, _ = env.step(answer)
        assert reward == 0.25 and terminated == (step == 3) and not truncated
    np.testing.assert_array_equal(counts, [2, 2])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"copies": 0}, r"copies must be an integer >= 1"),
        ({"num_symbols": 11}, r"num_symbols must be an integer in \[2, 10\]"),
    ],
)
def test_bad_parameters_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CountRecallEnv(**kwargs)


def test_render():
    env = CountRecallEnv(copies=13, render_mode="rgb_array")
    env.reset(seed=0)
    image = env.render()
    assert image.dtype == np.uint8 and min(image.shape[:2]) >= 96 and image.shape[2] == 3
    text = CountRecallEnv(render_mode="ansi")
    text.reset(seed=0)
    assert text.render().startswith("card ")
