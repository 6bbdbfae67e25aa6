"""Recurrent PPO with LSTM policies for partially observable Gymnasium tasks.

The agent and its policies load torch and Stable-Baselines3 on first use, so that importing
the package for its memory settings alone (as a command line parsing its flags does) is quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from rl_lstm.memory import MemoryMode

if TYPE_CHECKING:
    from rl_lstm.policies import CnnLstmPolicy, MlpLstmPolicy, MultiInputLstmPolicy
    from rl_lstm.ppo import RecurrentPPO

_LAZY = {
    "RecurrentPPO": "rl_lstm.ppo",
    "CnnLstmPolicy": "rl_lstm.policies",
    "MlpLstmPolicy": "rl_lstm.policies",
    "MultiInputLstmPolicy": "rl_lstm.policies",
}

__all__ = ["CnnLstmPolicy", "MemoryMode", "MlpLstmPolicy", "MultiInputLstmPolicy", "RecurrentPPO"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rl_lstm' has no attribute {name!r}")
