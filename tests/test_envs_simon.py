import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the tasks)
from envs.scoring import RandomPolicy, mean_episode_return
from envs.simon import SimonEnv


class PerfectMemory:
    """Remembers the colors played this round and presses them back in order."""

    def __init__(self, your_turn):
        self.your_turn = your_turn

    def reset(self, observation, info):
        self.played, self.pressed = [], 0

    def __call__(self, observation):
        if observation != self.your_turn:
            if self.pressed:  # a new round is being played
                self.played, self.pressed = [], 0
            self.played.append(observation)
            return 0
        self.pressed += 1
        return self.played[self.pressed - 1]


def memoryless_score(num_colors, rounds):
    presses = rounds * (rounds + 1) // 2
    return sum(num_colors**-j for j in range(1, presses + 1)) / presses


@pytest.mark.parametrize(
    ("env_id", "documented"), [("Simon-Easy-v0", 0.033), ("Simon-Hard-v0", 0.0061)]
)
def test_documented_memoryless_score_is_the_formula(env_id, documented):
    env = gym.make(env_id).unwrapped
    assert memoryless_score(env.num_colors, env.rounds) == pytest.approx(documented, abs=5e-4)


@pytest.mark.parametrize("env_id", ["Simon-Easy-v0", "Simon-Hard-v0"])
def test_perfect_memory_wins_every_game(env_id):
    env = gym.make(env_id)
    policy = PerfectMemory(env.unwrapped.your_turn)
    assert mean_episode_return(env, policy, episodes=50) == pytest.approx(1.0)


@pytest.mark.parametrize("env_id", ["Simon-Easy-v0", "Simon-Hard-v0"])
def test_random_presses_score_as_memoryless(env_id):
    env = gym.make(env_id)
    score = mean_episode_return(env, RandomPolicy(env.action_space), episodes=4000)
    expected = memoryless_score(env.unwrapped.num_colors, env.unwrapped.rounds)
    assert score == pytest.approx(expected, rel=0.15)  # std of the mean about 3 %


def test_rounds_replay_the_growing_sequence_and_a_mistake_ends_the_game():
    env = SimonEnv(num_colors=3, rounds=3)
    observation, _ = env.reset(seed=4)
    sequence = env.sequence.tolist()
    assert observation == sequence[0]
    assert env.step(2)[0] == env.your_turn  # presses while watching are ignored
    observation, reward, *_ = env.step(sequence[0])
    assert observation == sequence[0] and reward == pytest.approx(1 / 6)  # round 2 begins
    assert env.step(0)[0] == sequence[1]
    assert env.step(0)[0] == env.your_turn
    wrong = (sequence[0] + 1) % 3
    observation, reward, terminated, truncated, _ = env.step(wrong)
    assert (reward, terminated, truncated) == (0.0, True, False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rounds": 0}, r"rounds must be an integer >= 1"),
        ({"num_colors": 1}, r"num_colors must be an integer in \[2, 10\]"),
    ],
)
def test_bad_parameters_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SimonEnv(**kwargs)


def test_render():
    env = SimonEnv(num_colors=4, render_mode="rgb_array")
    env.reset(seed=0)
    watching = env.render()
    env.step(0)
    pressing = env.render()
    assert watching.dtype == np.uint8 and watching.shape == (112, 424, 3)
    assert not np.array_equal(watching, pressing)
    text = SimonEnv(render_mode="ansi")
    text.reset(seed=0)
    assert text.render().startswith("round 1: watching")
