import gymnasium as gym
import pytest

import envs  # noqa: F401  (registers the tasks)
from envs.scoring import RandomPolicy, mean_episode_return


class Recorder:
    """Always east; records the infos its resets get."""

    def __init__(self):
        self.infos = []

    def reset(self, observation, info):
        self.infos.append(info)

    def __call__(self, observation):
        return 0


def test_mean_episode_return_resets_once_per_episode():
    env = gym.make("TMaze-v0", length=3)
    recorder = Recorder()
    assert mean_episode_return(env, recorder, episodes=4) == 0.0  # never turns: truncated
    assert len(recorder.infos) == 4 and all(info["trial_start"] for info in recorder.infos)


def test_random_policy_is_reproducible():
    env = gym.make("Simon-Easy-v0")
    first = mean_episode_return(env, RandomPolicy(env.action_space, seed=3), episodes=50)
    second = mean_episode_return(env, RandomPolicy(env.action_space, seed=3), episodes=50)
    assert first == second == pytest.approx(0.033, abs=0.03)
