"""Trials: groups of episodes that share a layout or hidden parameters (RL²-style meta-learning).

A task that supports trials keeps what it drew at the start of a trial for ``episodes_per_trial``
episodes and marks the reset that begins a trial with ``info["trial_start"] = True``.
"""

from __future__ import annotations

from envs.validation import check_int


class TrialSchedule:
    """Decides which resets begin a trial: the first, a seeded one, or one after a full trial."""

    def __init__(self, episodes_per_trial: int) -> None:
        self.episodes_per_trial = check_int("episodes_per_trial", episodes_per_trial, 1)
        self.episode = self.episodes_per_trial  # the first reset begins a trial

    def begin_episode(self, seeded: bool) -> bool:
        """Count one more episode; return True when it is the first of a new trial."""
        trial_start = seeded or self.episode >= self.episodes_per_trial
        self.episode = 1 if trial_start else self.episode + 1
        return trial_start
