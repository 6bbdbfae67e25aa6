"""Recurrent PPO with LSTM policies for partially observable Gymnasium tasks."""

from rl_lstm.memory import MemoryMode
from rl_lstm.policies import CnnLstmPolicy, MlpLstmPolicy, MultiInputLstmPolicy
from rl_lstm.ppo import RecurrentPPO

__all__ = ["CnnLstmPolicy", "MemoryMode", "MlpLstmPolicy", "MultiInputLstmPolicy", "RecurrentPPO"]
__version__ = "0.1.0"
