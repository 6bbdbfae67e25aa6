"""The in-trial learning curve: mean return of the 1st, 2nd ... Kth episode of a trial, and of
whole trials, followed from episode ends and the ``trial_start`` flag of reset infos."""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Any

import numpy as np

from rl_lstm.memory import trial_starts


def trial_episode_key(prefix: str, position: int) -> str:
    """Logger key of the mean return of the ``position``-th episode (from 1) of a trial."""
    return f"{prefix}/trial_episode_{position}_return"


class TrialTracker:
    """Follows where each env is in its trial and collects returns by episode position.

    Episode returns come from VecMonitor's ``info["episode"]``; a reset whose info lacks
    ``trial_start`` begins a trial (so an env without trials has one episode per trial).
    ``window`` keeps only the last episodes per position and the last trials (as SB3's
    ``ep_info_buffer`` does); None keeps them all.
    """

    def __init__(self, n_envs: int, window: int | None = None) -> None:
        self.position = np.zeros(n_envs, dtype=np.int64)  # episodes done in the current trial
        self.running_total = np.zeros(n_envs)
        self.by_position: defaultdict[int, deque[float]] = defaultdict(lambda: deque(maxlen=window))
        self.trial_returns: deque[float] = deque(maxlen=window)

    def update(
        self, dones: np.ndarray, infos: list[dict[str, Any]], reset_infos: list[dict[str, Any]]
    ) -> None:
        """Record the episodes that ended at this vectorised step."""
        begins_trial = trial_starts(reset_infos)
        for env_idx in np.flatnonzero(dones):
            episode_return = float(infos[env_idx]["episode"]["r"])
            self.position[env_idx] += 1
            self.by_position[int(self.position[env_idx])].append(episode_return)
            self.running_total[env_idx] += episode_return
            if begins_trial[env_idx]:
                self.trial_returns.append(float(self.running_total[env_idx]))
                self.position[env_idx], self.running_total[env_idx] = 0, 0.0

    def in_trial(self, env_idx: int = 0) -> bool:
        """Whether env ``env_idx`` has played episodes of a trial that has not ended."""
        return bool(self.position[env_idx])

    def metrics(self, prefix: str) -> dict[str, float]:
        """``<prefix>/trial_episode_<k>_return`` per position and ``<prefix>/mean_trial_return``;
        empty while no trial has had a second episode (nothing beyond the episodic return)."""
        if len(self.by_position) < 2:
            return {}
        values = {
            trial_episode_key(prefix, position): float(np.mean(returns))
            for position, returns in sorted(self.by_position.items())
        }
        if self.trial_returns:
            values[f"{prefix}/mean_trial_return"] = float(np.mean(self.trial_returns))
        return values
