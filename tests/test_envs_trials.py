import pytest

from envs.trials import TrialSchedule


def test_trials_start_at_first_seeded_and_after_full_trials():
    schedule = TrialSchedule(episodes_per_trial=3)
    seeded = [False, False, False, False, True, False, False, False]
    starts = [schedule.begin_episode(s) for s in [True, *seeded[1:]]]
    assert starts == [True, False, False, True, True, False, False, True]


def test_one_episode_per_trial_starts_a_trial_every_time():
    schedule = TrialSchedule(episodes_per_trial=1)
    assert all(schedule.begin_episode(False) for _ in range(5))


def test_bad_trial_length_is_rejected():
    with pytest.raises(ValueError, match=r"episodes_per_trial must be an integer >= 1, got 0"):
        TrialSchedule(0)
