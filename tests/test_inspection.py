"""Memory traces follow the model's memory mode and record every step."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest
from stable_baselines3.common.vec_env import DummyVecEnv

from rl_lstm import RecurrentPPO
from rl_lstm.inspection import HORIZON_CAP, memory_horizon, trace_rollout
from tests.conftest import ScheduledEpisodesEnv


class RenderedEpisodes(ScheduledEpisodesEnv):
    metadata: ClassVar[dict] = {"render_modes": ["rgb_array"]}
    render_mode = "rgb_array"

    def render(self) -> np.ndarray:
        return np.full((4, 4, 3), self.t, dtype=np.uint8)


@pytest.mark.parametrize("memory", ["episode", "trial"])
def test_trace_records_frames_gates_and_boundaries(memory):
    env = DummyVecEnv([lambda: RenderedEpisodes(episode_length=3, episodes_per_trial=2)])
    model = RecurrentPPO("MlpLstmPolicy", env, memory=memory, policy_kwargs={"lstm_hidden_size": 5})
    trace = trace_rollout(model, env, n_episodes=4)
    assert len(trace.frames) == 12 and trace.cell.shape == (12, 5)
    assert [frame[0, 0, 0] for frame in trace.frames[:4]] == [0, 1, 2, 0]
    assert np.flatnonzero(trace.episode_starts).tolist() == [0, 3, 6, 9]
    assert np.flatnonzero(trace.trial_starts).tolist() == [0, 6]
    expected_resets = [0, 3, 6, 9] if memory == "episode" else [0, 6]
    assert np.flatnonzero(trace.state_resets).tolist() == expected_resets
    for gate in (trace.input_gate, trace.forget_gate, trace.output_gate):
        assert gate.shape == (12, 5) and ((gate > 0) & (gate < 1)).all()
    assert len(trace.episode_returns) == 4
    assert sum(trace.episode_returns) == pytest.approx(float(trace.rewards.sum()))


def test_memory_horizon_is_the_median_unit_of_one_over_one_minus_the_mean_forget_gate():
    forget_gate = np.array([[0.5, 0.9, 0.99], [0.5, 0.7, 0.99]])  # unit means 0.5, 0.8, 0.99
    assert memory_horizon(forget_gate) == pytest.approx(5.0)
    assert memory_horizon(np.ones((4, 3))) == HORIZON_CAP  # a cell that never forgets
