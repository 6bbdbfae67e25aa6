import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the tasks)
from envs.memory_chain import MemoryChainEnv
from envs.scoring import RandomPolicy, mean_episode_return


class CueOracle:
    """Remembers the cue of the first observation and repeats it."""

    def reset(self, observation, info):
        self.answer = 1 if observation[0] > 0 else 0
        self.steps = 0

    def __call__(self, observation):
        self.steps += 1
        return self.answer


class Memoryless:
    """Sees the cue only while it is on show; afterwards it can only guess: always +1."""

    def reset(self, observation, info):
        pass

    def __call__(self, observation):
        return 0 if observation[0] < 0 else 1


@pytest.mark.parametrize("length", [1, 30, 1000])
def test_oracle_scores_one_in_length_plus_one_steps(length):
    env = gym.make("MemoryChain-v0", length=length)
    oracle = CueOracle()
    assert mean_episode_return(env, oracle, episodes=20, seed=length) == 1.0
    assert oracle.steps == length + 1  # steps of the last episode


def test_memoryless_and_random_score_zero():
    env = gym.make("MemoryChain-v0")
    # std of the mean of 2000 episodes of ±1: 0.022
    assert mean_episode_return(env, Memoryless(), episodes=2000) == pytest.approx(0, abs=0.08)
    random_score = mean_episode_return(env, RandomPolicy(env.action_space), episodes=2000)
    assert random_score == pytest.approx(0, abs=0.08)


def test_cue_only_at_the_start_and_time_feature_counts_to_one():
    env = MemoryChainEnv(length=4)
    first, _ = env.reset(seed=3)
    steps = [env.step(0) for _ in range(5)]
    observations = np.array([first] + [step[0] for step in steps])
    assert first[0] in (-1.0, 1.0)
    np.testing.assert_array_equal(observations[1:, 0], 0.0)
    np.testing.assert_allclose(observations[:5, 1], [0, 0.25, 0.5, 0.75, 1.0])
    rewards = [step[1] for step in steps]
    assert rewards[:4] == [0.0] * 4 and rewards[4] == (1.0 if first[0] < 0 else -1.0)
    assert [step[2] for step in steps] == [False] * 4 + [True]
    assert not any(step[3] for step in steps)


def test_both_cues_occur():
    env = MemoryChainEnv(length=2)
    assert {float(env.reset(seed=seed)[0][0]) for seed in range(20)} == {-1.0, 1.0}


@pytest.mark.parametrize("length", [0, -3, 2.5, "10", True])
def test_bad_length_is_rejected(length):
    with pytest.raises(ValueError, match=r"length must be an integer >= 1"):
        MemoryChainEnv(length=length)


def test_render():
    env = MemoryChainEnv(length=1, render_mode="rgb_array")
    env.reset(seed=0)
    env.step(1)
    image = env.render()
    assert image.dtype == np.uint8 and min(image.shape[:2]) >= 96
    text = MemoryChainEnv(length=3, render_mode="ansi")
    text.reset(seed=0)
    assert text.render().startswith("cue ") and "t 0/3" in text.render()
