import functools

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the tasks)
from envs.scoring import RandomPolicy, mean_episode_return
from envs.trial_bandit import TrialBanditEnv

PULLS = 10  # episodes per trial of TrialBandit-5arm-v0


@functools.cache
def bayes_value(arms: tuple[tuple[int, int], ...], pulls_left: int) -> float:
    """Expected reward still to come under the Bayes-optimal policy; ``arms`` holds the sorted
    (successes, failures) per arm, each arm's probability uniform a priori."""
    if pulls_left == 0:
        return 0.0
    return max(pull_value(arms, i, pulls_left) for i in range(len(arms)))


def pull_value(arms, i, pulls_left):
    successes, failures = arms[i]
    p = (successes + 1) / (successes + failures + 2)
    win = tuple(sorted((*arms[:i], (successes + 1, failures), *arms[i + 1 :])))
    lose = tuple(sorted((*arms[:i], (successes, failures + 1), *arms[i + 1 :])))
    return p * (1 + bayes_value(win, pulls_left - 1)) + (1 - p) * bayes_value(lose, pulls_left - 1)


class BayesOptimal:
    """Perfect memory: counts the successes and failures of every arm over the trial and pulls
    the arm with the highest Bayes-optimal value (what the Gittins index achieves)."""

    def __init__(self, num_arms, pulls):
        self.num_arms, self.pulls = num_arms, pulls

    def reset(self, observation, info):
        if info["trial_start"]:
            self.counts = [(0, 0)] * self.num_arms
        else:
            arm, reward = int(np.argmax(observation[:-1])), observation[-1]
            s, f = self.counts[arm]
            self.counts[arm] = (s + 1, f) if reward else (s, f + 1)

    def __call__(self, observation):
        left = self.pulls - sum(s + f for s, f in self.counts)
        values = [pull_value(tuple(self.counts), i, left) for i in range(self.num_arms)]
        return int(np.argmax(values))


class WinStayLoseShift:
    """The best memoryless policy: repeat a pull that paid, else try another arm at random."""

    def __init__(self, num_arms, seed=0):
        self.num_arms = num_arms
        self.rng = np.random.default_rng(seed)

    def reset(self, observation, info):
        pass

    def __call__(self, observation):
        if not observation[:-1].any():
            return int(self.rng.integers(self.num_arms))
        arm = int(np.argmax(observation[:-1]))
        if observation[-1]:
            return arm
        other = int(self.rng.integers(self.num_arms - 1))
        return other + (other >= arm)


def trial_score(policy, trials, seed=0):
    env = gym.make("TrialBandit-5arm-v0")
    return PULLS * mean_episode_return(env, policy, episodes=trials * PULLS, seed=seed)


def test_bayes_optimal_value_of_five_arms_and_ten_pulls():
    assert bayes_value(((0, 0),) * 5, PULLS) == pytest.approx(6.66, abs=0.005)


def test_perfect_memory_reaches_the_bayes_optimal_score():
    # per-trial std is about 2.5, so 2000 trials give a std of the mean of 0.06
    assert trial_score(BayesOptimal(5, PULLS), trials=2000) == pytest.approx(6.66, abs=0.2)


def test_memoryless_and_random_stay_near_their_scores():
    env = gym.make("TrialBandit-5arm-v0")
    assert trial_score(RandomPolicy(env.action_space), trials=2000) == pytest.approx(5.0, abs=0.2)
    assert trial_score(WinStayLoseShift(5), trials=2000) == pytest.approx(6.3, abs=0.2)


def test_trial_keeps_payouts_and_flags_its_start():
    env = gym.make("TrialBandit-5arm-v0", episodes_per_trial=3)
    bandit = env.unwrapped
    flags, payouts, observations = [], [], []
    for episode in range(7):
        observation, info = env.reset(seed=11) if episode == 0 else env.reset()
        flags.append(info["trial_start"])
        payouts.append(bandit.payout_probabilities.copy())
        observations.append(observation)
        _, reward, terminated, truncated, _ = env.step(episode % 5)
        assert terminated and not truncated and reward in (0.0, 1.0)
    assert flags == [True, False, False, True, False, False, True]
    assert np.array_equal(payouts[0], payouts[2]) and np.array_equal(payouts[3], payouts[5])
    assert not np.array_equal(payouts[0], payouts[3])
    assert not observations[0].any() and not observations[3].any()
    assert observations[1][0] == 1 and observations[2][1] == 1  # the previous pull of the trial
    _, info = env.reset(seed=11)
    assert info["trial_start"] and np.array_equal(bandit.payout_probabilities, payouts[0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_arms": 1}, r"num_arms must be an integer >= 2"),
        ({"episodes_per_trial": 0}, r"episodes_per_trial must be an integer >= 1"),
    ],
)
def test_bad_parameters_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrialBanditEnv(**kwargs)


def test_render():
    env = TrialBanditEnv(num_arms=2, render_mode="rgb_array")
    env.reset(seed=0)
    env.step(1)
    image = env.render()
    assert image.dtype == np.uint8 and min(image.shape[:2]) >= 96
    text = TrialBanditEnv(render_mode="ansi")
    text.reset(seed=0)
    text.step(3)
    assert text.render().startswith("pulls 1/10  3:")
