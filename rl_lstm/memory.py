"""When the recurrent state is zeroed, and where returns end: the memory contract."""

from __future__ import annotations

import warnings
from enum import Enum
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sb3_contrib.common.recurrent.type_aliases import RNNStates


class MemoryMode(str, Enum):
    """When the LSTM state is zeroed.

    ``EPISODE``: at every episode start. ``TRIAL``: only at a reset whose info holds
    ``trial_start=True``, so the state is carried across the episodes of a trial.
    ``NEVER``: carried for the whole run.
    """

    EPISODE = "episode"
    TRIAL = "trial"
    NEVER = "never"

    @classmethod
    def parse(cls, value: str | MemoryMode) -> MemoryMode:
        """Read a mode from its name, with an error listing the accepted names."""
        try:
            return cls(value)
        except ValueError:
            accepted = ", ".join(repr(mode.value) for mode in cls)
            raise ValueError(
                f"memory={value!r} is not a memory mode; use one of {accepted}"
            ) from None


TRIAL_START_KEY = "trial_start"


def reset_states(states: RNNStates, resets: np.ndarray) -> RNNStates:
    """Copy of ``states`` (actor and critic ``(h, c)``) with the environments marked in
    ``resets`` zeroed."""
    h = states[0][0]
    keep = h.new_tensor(~resets, dtype=h.dtype).view(1, -1, 1)
    return type(states)(*((h * keep, c * keep) for h, c in states))


class StateResetRule:
    """Decides, after each vectorised step, which environments get a zeroed state.

    It also says where returns and advantages end: at episode ends, or in ``TRIAL`` mode
    with ``trial_returns`` only at the end of a trial (the RL² objective).
    """

    def __init__(self, mode: MemoryMode, trial_returns: bool = True) -> None:
        self.mode = mode
        self.trial_returns = trial_returns
        self._warned_missing_key = False

    def resets_after_step(self, dones: np.ndarray, reset_infos: list[dict[str, Any]]) -> np.ndarray:
        """Boolean mask of environments whose state is zeroed before their next step."""
        if self.mode is MemoryMode.EPISODE:
            return dones.copy()
        if self.mode is MemoryMode.NEVER:
            return np.zeros_like(dones)
        resets = np.zeros_like(dones)
        for env_idx in np.flatnonzero(dones):
            resets[env_idx] = self._is_trial_start(reset_infos[env_idx])
        return resets

    def resets_at_start(self, n_envs: int) -> np.ndarray:
        """Mask for the first step after ``env.reset()``: zero unless the state is never reset."""
        return np.full(n_envs, self.mode is not MemoryMode.NEVER)

    def return_ends(self, dones: np.ndarray, resets: np.ndarray) -> np.ndarray:
        """Steps after which returns are not bootstrapped from the next observation."""
        if self.mode is MemoryMode.TRIAL and self.trial_returns:
            return resets
        return dones

    def _is_trial_start(self, reset_info: dict[str, Any]) -> bool:
        if TRIAL_START_KEY in reset_info:
            return bool(reset_info[TRIAL_START_KEY])
        if not self._warned_missing_key:
            warnings.warn(
                f"memory='trial' but the env's reset info has no {TRIAL_START_KEY!r} key: "
                "every episode is treated as a trial of one episode.",
                stacklevel=3,
            )
            self._warned_missing_key = True
        return True
