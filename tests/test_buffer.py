"""Sequence buffer: reset steps land where the state was zeroed; refreshed start states."""

from __future__ import annotations

import numpy as np
import torch as th
from gymnasium import spaces
from sb3_contrib.common.recurrent.type_aliases import RNNStates
from stable_baselines3.common.callbacks import BaseCallback

from rl_lstm import RecurrentPPO
from rl_lstm.buffer import SequenceRolloutBuffer
from rl_lstm.lstm import lstm_step, stacked_weights
from rl_lstm.memory import reset_states
from tests.conftest import scheduled_vec_env


def filled_buffer(state_resets: np.ndarray, seq_len: int) -> SequenceRolloutBuffer:
    n_steps, n_envs = state_resets.shape
    buffer = SequenceRolloutBuffer(
        n_steps, n_envs, spaces.Box(-1, 1, (1,)), spaces.Discrete(2), seq_len, 1, 4, "cpu", 0.9, 0.9
    )
    buffer.state_resets[:] = state_resets
    buffer.finish(th.zeros(n_envs))
    return buffer


def test_reset_steps_are_inserted_before_zeroed_steps_inside_a_sequence():
    resets = np.zeros((6, 2), dtype=bool)
    resets[1, 0] = resets[2, 0] = True  # two resets in env 0's first chunk
    resets[3, 0] = True  # at a chunk start: part of the stored start state
    resets[5, 1] = True
    buffer = filled_buffer(resets, seq_len=3)
    assert buffer.timeline_position[:, 0].tolist() == [0, 2, 4, 0, 1, 2]
    assert buffer.timeline_position[:, 1].tolist() == [0, 1, 2, 0, 1, 3]
    # sequences are (chunk, env): (0, 0), (0, 1), (1, 0), (1, 1)
    assert buffer.sequence_length.tolist() == [5, 3, 3, 4]
    batch = buffer.sequences(np.array([0, 3]))  # env 0's first chunk, env 1's second
    assert batch.layout.n_time == 5 and batch.layout.n_columns == 2
    # grid cell = time * 2 + column; reset steps at times 1 and 3 of column 0, 2 of column 1
    assert sorted(batch.layout.reset_positions.tolist()) == [2, 5, 6]
    assert len(batch.actions) == 6


class CheckRefresh(BaseCallback):
    """At a rollout's end, refreshed start states must equal a step-by-step replay."""

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        buffer, policy = self.model.rollout_buffer, self.model.policy
        acted = [tensor.clone() for pair in buffer.start_states for tensor in pair]
        # Same weights as acting: refreshing changes nothing.
        buffer.refresh_start_states(policy)
        refreshed = [tensor for pair in buffer.start_states for tensor in pair]
        self.unchanged = max(
            (a - b).abs().max().item() for a, b in zip(acted, refreshed, strict=True)
        )
        # New weights: refreshed states are a replay of the rollout with those weights.
        with th.no_grad():
            for parameter in policy.lstm_actor.parameters():
                parameter.add_(0.1 * th.randn_like(parameter))
        buffer.refresh_start_states(policy)
        states = RNNStates(
            *((h[:, : buffer.n_envs], c[:, : buffer.n_envs]) for h, c in buffer.start_states)
        )
        obs = th.as_tensor(buffer.observations)
        worst = 0.0
        for step in range(buffer.n_steps):
            states = reset_states(states, buffer.state_resets[step])
            if step % buffer.seq_len == 0:
                chunk = slice(
                    step // buffer.seq_len * buffer.n_envs,
                    (step // buffer.seq_len + 1) * buffer.n_envs,
                )
                stored = buffer.start_states.pi[1][:, chunk]
                worst = max(worst, (stored - states.pi[1]).abs().max().item())
            features = policy.extract_features(obs[step])
            h, c = states.pi
            (h, c), _ = lstm_step(
                stacked_weights([policy.lstm_actor]), features, (h[:, None], c[:, None])
            )
            states = RNNStates((h[:, 0], c[:, 0]), states.vf)
        self.replayed = worst


def test_refreshed_start_states_replay_the_rollout_with_current_weights():
    model = RecurrentPPO(
        "MlpLstmPolicy",
        scheduled_vec_env(),
        n_steps=12,
        seq_len=4,
        batch_size=24,
        policy_kwargs={"lstm_hidden_size": 8},
        seed=0,
    )
    check = CheckRefresh()
    model.learn(48, callback=check)
    assert check.unchanged <= 1e-5
    assert check.replayed <= 1e-5


def test_each_sequence_gets_the_steps_before_it_from_its_last_reset_on():
    n_steps, n_envs, seq_len, context = 6, 2, 3, 3
    buffer = SequenceRolloutBuffer(
        n_steps, n_envs, spaces.Box(-1e3, 1e3, (1,)), spaces.Discrete(2), seq_len, 1, 1,
        "cpu", 0.9, 0.9, context=context,
    )  # fmt: skip
    reset_steps = {1: [(4, 0)], 2: [(3, 1)]}  # (step, env) zeroed in rollouts 1 and 2
    envs = th.arange(n_envs, dtype=th.float32)
    for rollout in (1, 2):
        buffer.begin_rollout()
        for step in range(n_steps):
            # observation and state both read 100 * rollout + 10 * env + step
            value = 100 * rollout + 10 * envs + step
            state = (value.view(1, n_envs, 1), value.view(1, n_envs, 1))
            buffer.store_context_states(step, RNNStates(state, state))
            resets = np.zeros(n_envs, dtype=bool)
            for reset_step, env in reset_steps[rollout]:
                resets[env] = reset_step == step
            zeros = th.zeros(n_envs)
            buffer.add(step, value.view(n_envs, 1), zeros.long(), zeros, zeros, zeros.numpy(),
                       resets, resets)  # fmt: skip
        buffer.finish(th.zeros(n_envs))
        context_of = (
            buffer.all_sequences().context
        )  # columns: (chunk 0, env 0), (0, 1), (1, 0), (1, 1)
        if rollout == 1:  # no rollout before the first: its first chunks have no context
            assert context_of.keep.tolist() == [0.0, 0.0, 1.0, 1.0]
    # Env 0's first chunk: the previous rollout's steps 3, 4, 5 cut by the reset at 4 (from
    # zeros); env 1's: steps 3, 4, 5 from the state of step 3; the second chunks: this
    # rollout's steps 0, 1, 2, env 1's not reaching its sequence, which starts from zeros.
    assert context_of.layout.n_time == 3 and context_of.layout.reset_positions.tolist() == [0]
    observations = context_of.observations.flatten().tolist()
    assert observations == [113, 200, 210, 104, 114, 201, 211, 105, 115, 202, 212]
    assert context_of.states.pi[0].flatten().tolist() == [0, 113, 200, 210]
    assert context_of.keep.tolist() == [1.0, 1.0, 1.0, 0.0]
