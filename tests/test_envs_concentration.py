import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the tasks)
from envs.concentration import FACE_DOWN, MATCHED, ConcentrationEnv
from envs.scoring import mean_episode_return


class PerfectMemory:
    """Remembers every face it has seen; flips a known pair when it has one, else a new card."""

    def reset(self, observation, info):
        self.known = {}  # card -> face
        self.matched = set()
        self.first = None  # first card of the turn in progress

    def __call__(self, observation):
        for card, code in enumerate(observation):
            if code == MATCHED:
                self.matched.add(card)
            elif code != FACE_DOWN:
                self.known[card] = code - 2
        unknown = [c for c in range(len(observation)) if c not in self.known.keys() | self.matched]
        open_cards = {c: f for c, f in self.known.items() if c not in self.matched}
        if self.first is None:
            by_face = {}
            for card, face in open_cards.items():
                by_face.setdefault(face, []).append(card)
            pairs = [cards for cards in by_face.values() if len(cards) == 2]
            self.first = pairs[0][0] if pairs else unknown[0]
            return self.first
        first, self.first = self.first, None
        partner = [c for c, f in open_cards.items() if f == open_cards[first] and c != first]
        return partner[0] if partner else next(c for c in unknown if c != first)


class RandomFaceDown:
    """Memoryless: flips a random card that is face down now."""

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)

    def reset(self, observation, info):
        pass

    def __call__(self, observation):
        return int(self.rng.choice(np.flatnonzero(observation == FACE_DOWN)))


# Documented memoryless scores.
MEMORYLESS = {
    "Concentration-3x4-v0": 0.213,
    "Concentration-4x4-v0": 0.147,
    "Concentration-6x6-v0": 0.059,
}


@pytest.mark.parametrize("env_id", sorted(MEMORYLESS))
def test_perfect_memory_finds_every_pair(env_id):
    env = gym.make(env_id)
    assert mean_episode_return(env, PerfectMemory(), episodes=100) == pytest.approx(1.0)


@pytest.mark.parametrize("env_id", sorted(MEMORYLESS))
def test_memoryless_stays_near_its_score(env_id):
    env = gym.make(env_id)
    score = mean_episode_return(env, RandomFaceDown(), episodes=1000)
    assert score == pytest.approx(MEMORYLESS[env_id], abs=0.03)


def test_turns_show_match_and_hide_cards():
    env = ConcentrationEnv(rows=2, cols=2)
    board, _ = env.reset(seed=0)
    assert (board == FACE_DOWN).all()
    faces = env.faces
    a, b = 0, int(np.flatnonzero(faces != faces[0])[0])  # a mismatching pair
    board, reward, *_ = env.step(a)
    assert board[a] == 2 + faces[a] and reward == 0
    board, reward, *_ = env.step(b)
    assert board[a] == 2 + faces[a] and board[b] == 2 + faces[b] and reward == 0
    partner = int(np.flatnonzero(faces == faces[a])[1])
    board, reward, *_ = env.step(partner)  # the mismatched pair is turned face down
    assert board[a] == FACE_DOWN and board[b] == FACE_DOWN and board[partner] == 2 + faces[a]
    board, reward, terminated, _, _ = env.step(a)
    assert board[a] == MATCHED and board[partner] == MATCHED
    assert reward == pytest.approx(0.5) and not terminated
    board, reward, *_ = env.step(a)  # flipping a matched card wastes the step
    assert reward == 0 and (board[[a, partner]] == MATCHED).all()


def test_truncated_after_four_flips_per_pair():
    env = gym.make("Concentration-3x4-v0")
    env.reset(seed=0)
    flips, terminated, truncated = 0, False, False
    while not (terminated or truncated):
        _, _, terminated, truncated, _ = env.step(0)  # the same card again and again
        flips += 1
    assert truncated and flips == 4 * 6


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rows": 1}, r"rows must be an integer in \[2, 6\]"),
        ({"cols": 7}, r"cols must be an integer in \[2, 6\]"),
        ({"rows": 3, "cols": 3}, r"rows \* cols must be even"),
    ],
)
def test_bad_parameters_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConcentrationEnv(**kwargs)


def test_render():
    env = ConcentrationEnv(rows=6, cols=6, render_mode="rgb_array")
    env.reset(seed=0)
    for card in range(12):
        env.step(card)
    image = env.render()
    assert image.dtype == np.uint8 and image.shape == (282, 282, 3)
    text = ConcentrationEnv(rows=2, cols=3, render_mode="ansi")
    text.reset(seed=0)
    text.step(4)
    assert text.render().splitlines()[:2] == ["## ## ##", f"## {text.faces[4]:2d} ##"]
