import gymnasium as gym
import pytest

import envs  # registers the tasks
from envs.scoring import REFERENCE_SCORES, RandomPolicy, mean_episode_return


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


def test_every_task_has_reference_scores_and_normalising_maps_them_to_0_and_1():
    assert set(REFERENCE_SCORES) == set(envs.TASKS)
    for scores in REFERENCE_SCORES.values():
        assert scores.memoryless < scores.perfect
        assert scores.normalise(scores.memoryless) == 0.0
        assert scores.normalise(scores.perfect) == 1.0
    assert REFERENCE_SCORES["TMaze-v0"].normalise(0.8) == pytest.approx(0.6)
