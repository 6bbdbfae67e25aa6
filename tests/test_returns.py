"""GAE with return boundaries, against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from rl_lstm.memory import MemoryMode, StateResetRule, trial_starts
from rl_lstm.returns import compute_gae

# One env, three steps: the episode ends after step 1; gamma 0.9, lambda 0.8.
REWARDS = np.array([[1.0], [0.0], [2.0]])
VALUES = np.array([[0.5], [0.2], [0.1]])
LAST_VALUE = np.array([0.3])
DONES = np.array([[False], [True], [False]])


def gae(ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return compute_gae(REWARDS, VALUES, LAST_VALUE, ends, gamma=0.9, gae_lambda=0.8)


def test_episode_bounded_advantages():
    advantages, returns = gae(DONES)
    # delta2 = 2 + .9*.3 - .1 = 2.17; delta1 = 0 - .2 (episode end); delta0 = 1 + .9*.2 - .5
    expected = [0.68 + 0.72 * -0.2, -0.2, 2.17]
    assert advantages.flatten().tolist() == pytest.approx(expected, abs=1e-6)
    assert returns.flatten().tolist() == pytest.approx([0.536 + 0.5, 0.0, 2.27], abs=1e-6)


def test_trial_returns_run_across_an_episode_end_inside_a_trial():
    rule = StateResetRule(MemoryMode.TRIAL, trial_returns=True)
    # The reset after step 1 does not start a trial: the return runs on.
    resets = rule.resets(DONES[1], trial_starts([{"trial_start": False}]))
    ends = np.array([[False], rule.return_ends(DONES[1], resets), [False]])
    advantages, _ = gae(ends)
    a1 = 0.9 * 0.1 - 0.2 + 0.72 * 2.17
    assert advantages.flatten().tolist() == pytest.approx([0.68 + 0.72 * a1, a1, 2.17], abs=1e-6)


def test_trial_returns_end_at_a_trial_end_and_can_be_turned_off():
    for trial_returns, trial_start in ((True, True), (False, False)):
        rule = StateResetRule(MemoryMode.TRIAL, trial_returns=trial_returns)
        resets = rule.resets(DONES[1], trial_starts([{"trial_start": trial_start}]))
        ends = np.array([[False], rule.return_ends(DONES[1], resets), [False]])
        assert gae(ends)[0].flatten().tolist() == pytest.approx(gae(DONES)[0].flatten().tolist())
