"""Memory modes: where the state is zeroed and where returns end."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from rl_lstm.memory import MemoryMode, StateResetRule

DONES = np.array([True, False, True, True])
INFOS = [{"trial_start": True}, {}, {"trial_start": False}, {"trial_start": True}]


def test_episode_mode_resets_at_every_episode_end():
    rule = StateResetRule(MemoryMode.EPISODE)
    assert rule.resets_after_step(DONES, INFOS).tolist() == [True, False, True, True]
    assert rule.return_ends(DONES, rule.resets_after_step(DONES, INFOS)).tolist() == DONES.tolist()


def test_trial_mode_resets_only_at_trial_starts_and_ends_returns_there():
    rule = StateResetRule(MemoryMode.TRIAL)
    resets = rule.resets_after_step(DONES, INFOS)
    assert resets.tolist() == [True, False, False, True]
    assert rule.return_ends(DONES, resets).tolist() == [True, False, False, True]
    episode_bounded = StateResetRule(MemoryMode.TRIAL, trial_returns=False)
    assert episode_bounded.return_ends(DONES, resets).tolist() == DONES.tolist()


def test_never_mode_never_resets():
    rule = StateResetRule(MemoryMode.NEVER)
    assert not rule.resets_after_step(DONES, INFOS).any()
    assert not rule.resets_at_start(3).any()
    assert StateResetRule(MemoryMode.EPISODE).resets_at_start(3).all()


def test_missing_trial_key_counts_as_a_trial_start_and_warns_once():
    rule = StateResetRule(MemoryMode.TRIAL)
    with pytest.warns(UserWarning, match="no 'trial_start' key"):
        assert rule.resets_after_step(np.array([True]), [{}]).tolist() == [True]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rule.resets_after_step(np.array([True]), [{}]).tolist() == [True]


def test_parse_names_the_accepted_modes():
    assert MemoryMode.parse("trial") is MemoryMode.TRIAL
    with pytest.raises(ValueError, match="'episode', 'trial', 'never'"):
        MemoryMode.parse("always")
