"""Tests of playing episodes with a model: counts, returns, frames, where the state is zeroed."""

from __future__ import annotations

import itertools

import gymnasium as gym
import numpy as np
import pytest
import torch
from sb3_contrib import RecurrentPPO as ContribRecurrentPPO
from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

import envs  # noqa: F401  (registers TrialBandit-5arm-v0)
from tests.conftest import ScheduledEpisodesEnv, numbered_vec_env, tiny_agent
from train.evaluation import play_episodes


class EpisodeLog(gym.Wrapper):
    """Writes down the return and length of each episode the env ends, into ``log``."""

    def __init__(self, env: gym.Env, log: list[tuple[float, int]]) -> None:
        super().__init__(env)
        self.log = log

    def reset(self, **kwargs):
        self.total, self.steps = 0.0, 0
        return self.env.reset(**kwargs)

    def step(self, action):
        observation, reward, terminated, truncated, info = self.env.step(action)
        self.total, self.steps = self.total + reward, self.steps + 1
        if terminated or truncated:
            self.log.append((self.total, self.steps))
        return observation, reward, terminated, truncated, info


class PaysTheAction(ScheduledEpisodesEnv):
    """Each step pays the action taken (0, 1 or 2): returns depend on the policy's choices."""

    def step(self, action):
        observation, _, terminated, truncated, info = super().step(action)
        return observation, float(action), terminated, truncated, info


def monitored(make_env) -> VecMonitor:
    env = VecMonitor(DummyVecEnv([make_env]))
    env.seed(0)
    return env


def test_evaluation_plays_whole_trials_each_from_a_trial_start():
    env = VecMonitor(DummyVecEnv([lambda: gym.make("TrialBandit-5arm-v0", episodes_per_trial=3)]))
    env.seed(0)
    model = tiny_agent(env, memory="trial")
    # 4 episodes asked: two whole trials. The auto-reset after the last one begins a trial
    # that the next call's reset would continue: the next call still plays one whole trial.
    for n_episodes, n_trials in ((4, 2), (2, 1)):
        episodes = play_episodes(model, env, n_episodes, whole_trials=True)
        assert len(episodes.returns) == 3 * n_trials
        assert list(episodes.trials.trial_returns) == [
            sum(episodes.returns[3 * i : 3 * i + 3]) for i in range(n_trials)
        ]
        assert set(episodes.trials.metrics("eval")) == {
            *(f"eval/trial_episode_{k}_return" for k in (1, 2, 3)),
            "eval/mean_trial_return",
        }


def test_play_returns_the_returns_and_lengths_of_the_episodes_the_env_played():
    log: list[tuple[float, int]] = []
    env = monitored(lambda: EpisodeLog(ScheduledEpisodesEnv(None, episodes_per_trial=1), log))
    model = tiny_agent(env)
    episodes = play_episodes(model, env, 6)
    assert len(log) == 6  # no step of a 7th episode
    assert episodes.lengths == [length for _, length in log]
    assert len(set(episodes.lengths)) > 1  # lengths drawn from 1..6: the test tells them apart
    assert episodes.returns == pytest.approx([total for total, _ in log], abs=1e-5)
    assert episodes.frames == []


@pytest.mark.parametrize(("whole_trials", "n_played"), [(False, 3), (True, 4)])
def test_play_stops_at_the_nth_episode_unless_asked_to_finish_the_trial(whole_trials, n_played):
    env = monitored(lambda: ScheduledEpisodesEnv(episode_length=2, episodes_per_trial=2))
    model = tiny_agent(env)
    episodes = play_episodes(model, env, 3, whole_trials=whole_trials)
    assert len(episodes.returns) == len(episodes.lengths) == n_played
    assert episodes.trials.in_trial() is not whole_trials


def test_play_begins_with_a_trial_when_the_previous_play_stopped_within_one():
    env = VecMonitor(DummyVecEnv([lambda: gym.make("TrialBandit-5arm-v0", episodes_per_trial=3)]))
    env.seed(0)
    model = tiny_agent(env, memory="trial")
    first = play_episodes(model, env, 1)  # stops after the 1st pull of a trial of 3
    assert first.trials.in_trial() and not first.trials.trial_returns
    second = play_episodes(model, env, 3)  # a whole trial of its own, not the rest of that one
    assert list(second.trials.trial_returns) == [sum(second.returns)]
    assert not second.trials.in_trial()


def test_play_films_the_first_episodes_each_frame_before_its_step():
    env = numbered_vec_env(length=3, render_mode="rgb_array")
    model = tiny_agent(env)
    episodes = play_episodes(model, env, 3, filmed_episodes=2)
    assert len(episodes.returns) == 3
    # The env draws grey level 40 * (steps taken in the episode): 0, 40, 80 per episode.
    assert [int(frame[0, 0, 0]) for frame in episodes.frames] == [0, 40, 80, 0, 40, 80]
    assert all(frame.shape == (16, 16, 3) for frame in episodes.frames)


def test_deterministic_play_is_reproducible_and_stochastic_play_follows_the_torch_seed():
    env = monitored(lambda: PaysTheAction(episode_length=4, episodes_per_trial=1))
    model = tiny_agent(env)

    def play(deterministic: bool, torch_seed: int) -> list[float]:
        env.seed(0)
        torch.manual_seed(torch_seed)
        return play_episodes(model, env, 5, deterministic=deterministic).returns

    assert play(True, torch_seed=1) == play(True, torch_seed=2)
    assert play(False, torch_seed=1) == play(False, torch_seed=1)
    assert play(False, torch_seed=1) != play(False, torch_seed=2)


def test_play_zeroes_the_state_of_other_recurrent_models_at_every_episode_start(monkeypatch):
    env = monitored(lambda: ScheduledEpisodesEnv(episode_length=2, episodes_per_trial=2))
    model = tiny_agent(env, ContribRecurrentPPO)
    calls = []
    predict = model.predict

    def recording_predict(observation, state, episode_start, deterministic):
        action, new_state = predict(
            observation, state=state, episode_start=episode_start, deterministic=deterministic
        )
        calls.append((state, episode_start.copy(), new_state))
        return action, new_state

    monkeypatch.setattr(model, "predict", recording_predict)
    episodes = play_episodes(model, env, 4)  # two trials of two 2-step episodes
    assert episodes.lengths == [2, 2, 2, 2] and len(calls) == 8
    assert np.flatnonzero([start[0] for _, start, _ in calls]).tolist() == [0, 2, 4, 6]
    assert calls[0][0] is None
    for (_, _, returned), (passed, _, _) in itertools.pairwise(calls):
        assert passed is returned
