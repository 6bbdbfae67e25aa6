"""When the recurrent state is zeroed, and where returns end: the memory contract.

:class:`StateResetRule` decides, from the memory mode, the episode ends and the reset infos,
which environments start their next step from a zero state, and zeroes those states with
:func:`reset_states`; :func:`trial_starts` reads where trials begin. Acting, evaluation,
recording, inspection and ``predict`` all go through them.
"""

from __future__ import annotations

import warnings
from enum import Enum
from typing import Any, TypeVar

import numpy as np

# Actor and critic (h, c) (sb3-contrib's RNNStates), or one LSTM's (h, c).
States = TypeVar("States", bound=tuple)


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


def trial_starts(reset_infos: list[dict[str, Any]]) -> np.ndarray:
    """Per environment, whether its last reset began a trial: the reset info's
    ``trial_start``, True for an env that does not report it (one episode per trial).

    ``reset_infos``: ``venv.unwrapped.reset_infos`` (VecEnv wrappers such as VecMonitor keep
    an empty list of their own under that name).
    """
    return np.array([bool(info.get(TRIAL_START_KEY, True)) for info in reset_infos], dtype=bool)


def reset_states(states: States, resets: np.ndarray) -> States:
    """Copy of ``states`` with the environments marked in ``resets`` zeroed (``states``
    itself when none is): actor and critic ``(h, c)`` (``RNNStates``) or one LSTM's
    ``(h, c)``, tensors [layers, envs, units]."""
    if not np.any(resets):  # the common step: nothing to zero, nothing to compute
        return states
    if isinstance(states[0], tuple):  # RNNStates: one (h, c) per network
        return type(states)(*(reset_states(state, resets) for state in states))
    h, c = states
    keep = h.new_tensor(~np.asarray(resets, dtype=bool), dtype=h.dtype).view(1, -1, 1)
    return h * keep, c * keep


class StateResetRule:
    """Decides which environments start their next step from a zero state, and zeroes them.

    It also says where returns and advantages end: at episode ends, or in ``TRIAL`` mode
    with ``trial_returns`` only at the end of a trial (the RL² objective).
    """

    def __init__(self, mode: MemoryMode, trial_returns: bool = True) -> None:
        self.mode = mode
        self.trial_returns = trial_returns
        self._warned: set[str] = set()

    def resets(self, episode_starts: np.ndarray, trial_starts: np.ndarray | None) -> np.ndarray:
        """Boolean mask of the environments whose state is zeroed, given where episodes begin
        and where trials begin (None: every episode start begins a trial, with a warning in
        ``TRIAL`` mode)."""
        episode_starts = np.asarray(episode_starts, dtype=bool)
        if self.mode is MemoryMode.EPISODE:
            return episode_starts.copy()
        if self.mode is MemoryMode.NEVER:
            return np.zeros_like(episode_starts)
        if trial_starts is None:
            self._warn_once(
                "memory='trial' but predict() got no trial_start=: every episode start is "
                "taken as a trial start. Pass trial_start=rl_lstm.memory.trial_starts("
                "env.unwrapped.reset_infos) to carry the state across the episodes of a trial.",
                stacklevel=4,  # predict()'s caller
            )
            return episode_starts.copy()
        return episode_starts & np.asarray(trial_starts, dtype=bool)

    def after_step(
        self, states: States, dones: np.ndarray, reset_infos: list[dict[str, Any]]
    ) -> tuple[States, np.ndarray]:
        """The states to continue from after a vectorised step that ended the episodes in
        ``dones`` (``reset_infos``: the VecEnv's, from the auto-resets), and the mask of
        those zeroed."""
        if self.mode is MemoryMode.TRIAL and any(
            TRIAL_START_KEY not in reset_infos[env_idx] for env_idx in np.flatnonzero(dones)
        ):
            self._warn_once(
                f"memory='trial' but the env's reset info has no {TRIAL_START_KEY!r} key: "
                "every episode is treated as a trial of one episode.",
                stacklevel=4,
            )
        resets = self.resets(dones, trial_starts(reset_infos))
        return reset_states(states, resets), resets

    def after_reset(self, states: States) -> tuple[States, np.ndarray]:
        """The states to begin from after ``env.reset()`` (zeroed unless the state is never
        reset), and the mask of those zeroed."""
        h = states[0][0] if isinstance(states[0], tuple) else states[0]
        resets = np.full(h.shape[1], self.mode is not MemoryMode.NEVER)
        return reset_states(states, resets), resets

    def return_ends(self, dones: np.ndarray, resets: np.ndarray) -> np.ndarray:
        """Steps after which returns are not bootstrapped from the next observation."""
        if self.mode is MemoryMode.TRIAL and self.trial_returns:
            return resets
        return dones

    def _warn_once(self, message: str, stacklevel: int) -> None:
        if message not in self._warned:
            warnings.warn(message, stacklevel=stacklevel)
            self._warned.add(message)
