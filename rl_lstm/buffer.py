"""Rollout storage on the training device, served as sequences for truncated BPTT.

A rollout of ``n_steps`` x ``n_envs`` steps is cut every ``seq_len`` steps into
sequences (one per chunk and env), each starting from the state acting had there.
Where the memory mode zeroes the state inside a sequence, a *reset step* is inserted
before that step (see :class:`SequenceLayout`), so a whole minibatch of sequences,
resets included, goes through each LSTM in one call.

With a ``context`` of K steps, each sequence also comes with the K steps before it (from
the previous rollout for the first chunk), run with gradient from the state acting had at
their start, so that the gradient reaches back past the sequence's (and rollout's) start.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import torch as th
from gymnasium import spaces
from sb3_contrib.common.recurrent.type_aliases import RNNStates

from rl_lstm.memory import reset_states
from rl_lstm.returns import compute_gae

if TYPE_CHECKING:
    from rl_lstm.policies import RecurrentActorCriticPolicy

TensorObs = th.Tensor | dict[str, th.Tensor]


class SequenceLayout(NamedTuple):
    """Where the steps of a batch of sequences sit in a [n_time, n_columns] grid.

    One column per sequence. A *reset step* is an extra grid cell whose input drives the
    input, forget and output gates to exactly 0, so the state after it is exactly zero:
    that is how a state reset inside a sequence happens within one LSTM call.
    """

    step_positions: th.Tensor  # grid cell (time * n_columns + column) of each step
    reset_positions: th.Tensor  # grid cells of the reset steps
    n_time: int
    n_columns: int


class SequenceContext(NamedTuple):
    """The steps before a batch of sequences, run with gradient only: each sequence's start
    state keeps its value (acting's) and takes the gradient of the context's final state
    (see :meth:`RecurrentActorCriticPolicy.states_through_context`)."""

    observations: th.Tensor | dict[str, th.Tensor]
    layout: SequenceLayout  # one column per sequence, right-aligned, reset steps before
    states: RNNStates  # state at the start of each context
    keep: th.Tensor  # [n_columns] 1.0 where the context reaches the sequence, else 0.0


class SequenceBatch(NamedTuple):
    """A minibatch of whole sequences: per-step data and where each step sits in the grid."""

    observations: TensorObs
    actions: th.Tensor
    old_values: th.Tensor
    old_log_prob: th.Tensor
    advantages: th.Tensor
    returns: th.Tensor
    layout: SequenceLayout
    states: RNNStates  # start state of each sequence, [layers, n_sequences, hidden]
    context: SequenceContext | None = None  # the steps before each sequence, with a context


def _normalized(batch: SequenceBatch, normalize_advantage: bool) -> SequenceBatch:
    """``batch`` with zero-mean, unit-variance advantages if asked (and it holds two or more)."""
    advantages = batch.advantages
    if not normalize_advantage or len(advantages) < 2:
        return batch
    return batch._replace(advantages=(advantages - advantages.mean()) / (advantages.std() + 1e-8))


def _observation_storage(
    space: spaces.Space, shape: tuple[int, ...], device: th.device
) -> th.Tensor:
    # Images stay uint8 (a quarter of the memory); everything else is preprocessed as float.
    dtype = th.uint8 if space.dtype == np.uint8 else th.float32
    return th.zeros((*shape, *space.shape), dtype=dtype, device=device)


def _action_storage(space: spaces.Space, shape: tuple[int, ...], device: th.device) -> th.Tensor:
    if isinstance(space, spaces.Discrete):
        return th.zeros(shape, dtype=th.long, device=device)
    if isinstance(space, spaces.MultiDiscrete):
        return th.zeros((*shape, len(space.nvec)), dtype=th.long, device=device)
    return th.zeros((*shape, *space.shape), dtype=th.float32, device=device)


def _write_states(stored: RNNStates, states: RNNStates, columns: slice) -> None:
    """Copy ``(h, c)`` of actor and critic into the sequence columns ``columns`` of ``stored``."""
    for (stored_h, stored_c), (h, c) in zip(stored, states, strict=True):
        stored_h[:, columns] = h
        stored_c[:, columns] = c


class SequenceRolloutBuffer:
    """Holds one rollout; serves minibatches of whole sequences with their reset steps."""

    def __init__(
        self,
        n_steps: int,
        n_envs: int,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        seq_len: int,
        lstm_layers: int,
        lstm_hidden_size: int,
        device: th.device,
        gamma: float,
        gae_lambda: float,
        context: int = 0,
    ) -> None:
        if not 0 <= context <= seq_len:
            raise ValueError(f"context={context} is invalid: must be in 0..seq_len={seq_len}")
        self.context = context
        self.n_steps, self.n_envs, self.seq_len = n_steps, n_envs, seq_len
        self.device, self.gamma, self.gae_lambda = device, gamma, gae_lambda
        self.n_chunks = -(-n_steps // seq_len)
        grid = (n_steps, n_envs)
        if isinstance(observation_space, spaces.Dict):
            self.observations: TensorObs = {
                key: _observation_storage(subspace, grid, device)
                for key, subspace in observation_space.spaces.items()
            }
        else:
            self.observations = _observation_storage(observation_space, grid, device)
        self.actions = _action_storage(action_space, grid, device)
        self.values = th.zeros(grid, device=device)
        self.log_probs = th.zeros(grid, device=device)
        self.advantages = th.zeros(grid, device=device)
        self.returns = th.zeros(grid, device=device)
        self.rewards = np.zeros(grid, dtype=np.float32)
        self.return_ends = np.zeros(grid, dtype=bool)
        self.state_resets = np.zeros(grid, dtype=bool)
        # Start state of sequence (chunk, env) in column chunk * n_envs + env.
        state_shape = (lstm_layers, self.n_chunks * n_envs, lstm_hidden_size)
        self.start_states = RNNStates(
            (th.zeros(state_shape, device=device), th.zeros(state_shape, device=device)),
            (th.zeros(state_shape, device=device), th.zeros(state_shape, device=device)),
        )
        self._whole_batch: tuple[bool, SequenceBatch] | None = None  # (normalised, batch)
        steps = np.arange(n_steps)
        self.chunk_start = steps - steps % seq_len
        self.chunk_end = np.minimum(self.chunk_start + seq_len, n_steps)
        if context:
            self._setup_context(observation_space, state_shape)

    def _setup_context(self, observation_space: spaces.Space, state_shape: tuple) -> None:
        """Storage of the context: the last steps of the previous rollout (for the first
        chunk) and the states acting had ``context`` steps before each chunk."""
        tail = (self.context, self.n_envs)
        if isinstance(observation_space, spaces.Dict):
            self.tail_observations: TensorObs = {
                key: _observation_storage(subspace, tail, self.device)
                for key, subspace in observation_space.spaces.items()
            }
        else:
            self.tail_observations = _observation_storage(observation_space, tail, self.device)
        self.tail_resets = np.zeros(tail, dtype=bool)
        self.tail_valid = np.zeros(self.n_envs, dtype=bool)  # a previous rollout exists
        zeros = functools.partial(th.zeros, state_shape, device=self.device)
        self.context_states = RNNStates((zeros(), zeros()), (zeros(), zeros()))
        # Filled during a rollout for the next one, taken over by begin_rollout.
        self._next_tail_states: RNNStates | None = None
        self._next_tail: tuple[TensorObs, np.ndarray, RNNStates] | None = None

    def begin_rollout(self) -> None:
        """Make the end of the rollout just stored the context of the one about to start."""
        if not self.context or self._next_tail is None:
            return
        observations, resets, states = self._next_tail
        if isinstance(observations, dict):
            for key, value in observations.items():
                self.tail_observations[key].copy_(value)
        else:
            self.tail_observations.copy_(observations)
        self.tail_resets[:] = resets
        _write_states(self.context_states, states, slice(0, self.n_envs))
        self.tail_valid[:] = True
        self._next_tail = None

    def store_context_states(self, step: int, states: RNNStates) -> None:
        """Record the (already reset) state of a step that begins a context: ``context``
        steps before a chunk of this rollout, or before the next rollout."""
        if not self.context:
            return
        chunk, offset = divmod(step + self.context, self.seq_len)
        if step + self.context == self.n_steps:  # kept for the next rollout's first chunk
            self._next_tail_states = RNNStates(*((h.clone(), c.clone()) for h, c in states))
        elif offset == 0 and 0 < chunk < self.n_chunks:
            columns = slice(chunk * self.n_envs, (chunk + 1) * self.n_envs)
            _write_states(self.context_states, states, columns)

    def store_start_states(self, step: int, states: RNNStates) -> None:
        """Record the (already reset) state at the start of chunk ``step // seq_len``."""
        chunk = step // self.seq_len
        columns = slice(chunk * self.n_envs, (chunk + 1) * self.n_envs)
        _write_states(self.start_states, states, columns)

    def add(
        self,
        step: int,
        obs: TensorObs,
        actions: th.Tensor,
        values: th.Tensor,
        log_probs: th.Tensor,
        rewards: np.ndarray,
        return_ends: np.ndarray,
        state_resets: np.ndarray,
    ) -> None:
        """Store one vectorised step; ``state_resets`` says whose state was zeroed before it."""
        if isinstance(obs, dict):
            for key, value in obs.items():
                self.observations[key][step] = value
        else:
            self.observations[step] = obs
        self.actions[step] = actions
        self.values[step] = values
        self.log_probs[step] = log_probs
        self.rewards[step] = rewards
        self.return_ends[step] = return_ends
        self.state_resets[step] = state_resets

    def finish(self, last_values: th.Tensor) -> None:
        """Compute advantages and returns; place every step in its sequence's timeline."""
        self._whole_batch = None
        advantages, returns = compute_gae(
            self.rewards,
            self.values.cpu().numpy(),
            last_values.cpu().numpy(),
            self.return_ends,
            self.gamma,
            self.gae_lambda,
        )
        self.advantages = th.as_tensor(advantages, device=self.device)
        self.returns = th.as_tensor(returns, device=self.device)
        # A reset at a chunk's first step is already in its stored start state; later
        # ones get a reset step inserted before them.
        self.inner_resets = (
            self.state_resets & (self.chunk_start != np.arange(self.n_steps))[:, None]
        )
        resets_before = np.zeros_like(self.inner_resets, dtype=np.int64)
        for chunk_start in range(0, self.n_steps, self.seq_len):
            chunk = slice(chunk_start, chunk_start + self.seq_len)
            resets_before[chunk] = np.cumsum(self.inner_resets[chunk], axis=0)
        self.timeline_position = (np.arange(self.n_steps) - self.chunk_start)[
            :, None
        ] + resets_before
        chunk_length = self.chunk_end[:: self.seq_len] - np.arange(0, self.n_steps, self.seq_len)
        self.sequence_length = (
            chunk_length[:, None] + resets_before[self.chunk_end[:: self.seq_len] - 1]
        ).ravel()
        if self.context:
            self._extend_with_tail()

    def _extend_with_tail(self) -> None:
        """Keep this rollout's last steps for the next one; join the previous rollout's to
        this one's in one timeline (its time ``t`` is this rollout's ``t - context``)."""
        start = self.n_steps - self.context
        if isinstance(self.observations, dict):
            tail: TensorObs = {key: v[start:].clone() for key, v in self.observations.items()}
            self._timeline: TensorObs = {
                key: th.cat([self.tail_observations[key], value])
                for key, value in self.observations.items()
            }
        else:
            tail = self.observations[start:].clone()
            self._timeline = th.cat([self.tail_observations, self.observations])
        self._next_tail = (tail, self.state_resets[start:].copy(), self._next_tail_states)
        self._timeline_resets = np.concatenate([self.tail_resets, self.state_resets])

    def _context(self, columns: np.ndarray) -> SequenceContext:
        """The ``context`` steps before each sequence in ``columns``, from the last reset among
        them on (right-aligned, reset steps before), and whether each reaches its sequence."""
        chunks, envs = np.divmod(columns, self.n_envs)
        first = chunks * self.seq_len  # timeline time of each context's first step
        window = first + np.arange(self.context)[:, None]  # [context, n_columns]
        # A reset at the first step is in the stored state; a later one cuts the context.
        inner = self._timeline_resets[window, envs][1:]
        cut = inner.any(axis=0)
        kept_from = np.where(cut, self.context - 1 - np.argmax(inner[::-1], axis=0), 0)
        lengths = self.context - kept_from
        n_time = int(lengths.max())
        offsets = np.arange(n_time)[:, None]
        times = first + kept_from + offsets - (n_time - lengths)
        valid = offsets >= n_time - lengths
        slots = np.broadcast_to(envs, valid.shape)
        layout = SequenceLayout(
            step_positions=th.from_numpy(np.flatnonzero(valid)).to(self.device),
            reset_positions=th.from_numpy(np.flatnonzero(~valid)).to(self.device),
            n_time=n_time,
            n_columns=len(columns),
        )
        index = th.from_numpy(times[valid] * self.n_envs + slots[valid]).to(self.device)
        if isinstance(self._timeline, dict):
            observations: TensorObs = {
                key: self._rows(value, index) for key, value in self._timeline.items()
            }
        else:
            observations = self._rows(self._timeline, index)
        state_columns = th.from_numpy(columns).to(self.device)
        states = RNNStates(
            *(
                (h.index_select(1, state_columns), c.index_select(1, state_columns))
                for h, c in self.context_states
            )
        )
        # No context where the sequence starts from a zeroed state or none was stored yet.
        reaches = ~self.state_resets[first, envs] & np.where(
            chunks == 0, self.tail_valid[envs], True
        )
        return SequenceContext(
            observations,
            layout,
            reset_states(states, cut),
            th.as_tensor(reaches, dtype=th.float32, device=self.device),
        )

    @staticmethod
    def _rows(tensor: th.Tensor, index: th.Tensor) -> th.Tensor:
        """Steps ``index`` of a [n_steps, n_envs, ...] tensor, counted step-major."""
        return tensor.flatten(0, 1).index_select(0, index)

    def _gather(
        self, steps: np.ndarray, layout: SequenceLayout, columns: np.ndarray
    ) -> SequenceBatch:
        index = th.from_numpy(steps).to(self.device)
        state_columns = th.from_numpy(columns).to(self.device)
        if isinstance(self.observations, dict):
            observations: TensorObs = {
                key: self._rows(value, index) for key, value in self.observations.items()
            }
        else:
            observations = self._rows(self.observations, index)
        return SequenceBatch(
            observations=observations,
            actions=self._rows(self.actions, index),
            old_values=self._rows(self.values, index),
            old_log_prob=self._rows(self.log_probs, index),
            advantages=self._rows(self.advantages, index),
            returns=self._rows(self.returns, index),
            layout=layout,
            states=RNNStates(
                *(
                    (h.index_select(1, state_columns), c.index_select(1, state_columns))
                    for h, c in self.start_states
                )
            ),
        )

    def sequences(self, columns: np.ndarray) -> SequenceBatch:
        """The sequences ``chunk * n_envs + env`` in ``columns``, side by side from time 0."""
        chunks, envs = np.divmod(columns, self.n_envs)
        offsets = np.arange(self.seq_len)[:, None]
        times = chunks * self.seq_len + offsets  # [seq_len, n_columns]
        valid = times < self.n_steps
        times, envs, slots = (
            times[valid],
            np.broadcast_to(envs, valid.shape)[valid],
            np.nonzero(valid)[1],
        )
        n_columns = len(columns)
        position = self.timeline_position[times, envs]
        inner = self.inner_resets[times, envs]
        layout = SequenceLayout(
            step_positions=th.from_numpy(position * n_columns + slots).to(self.device),
            reset_positions=th.from_numpy((position[inner] - 1) * n_columns + slots[inner]).to(
                self.device
            ),
            n_time=int(self.sequence_length[columns].max()),
            n_columns=n_columns,
        )
        batch = self._gather(times * self.n_envs + envs, layout, columns)
        return batch._replace(context=self._context(columns)) if self.context else batch

    def all_sequences(self) -> SequenceBatch:
        """Every stored sequence in one batch."""
        return self.sequences(np.arange(self.n_chunks * self.n_envs))

    def minibatches(
        self, batch_size: int, normalize_advantage: bool = False
    ) -> Iterator[SequenceBatch]:
        """Shuffled whole sequences, about ``batch_size`` steps per minibatch, advantages
        normalised per minibatch if asked."""
        n_columns = self.n_chunks * self.n_envs
        per_batch = max(1, round(batch_size / self.seq_len))
        if per_batch >= n_columns:  # one minibatch: the same every epoch, prepared once
            if self._whole_batch is None or self._whole_batch[0] != normalize_advantage:
                batch = self.all_sequences()
                self._whole_batch = (normalize_advantage, _normalized(batch, normalize_advantage))
            yield self._whole_batch[1]
            return
        order = np.random.permutation(n_columns)
        for start in range(0, n_columns, per_batch):
            yield _normalized(self.sequences(order[start : start + per_batch]), normalize_advantage)

    @th.no_grad()
    def refresh_start_states(self, policy: RecurrentActorCriticPolicy) -> None:
        """Recompute each chunk's start state by running the previous chunk with ``policy``.

        Only the part of a chunk after its last reset decides the state at its end; those
        parts are right-aligned, reset steps fill the space before them, and one LSTM call
        per chunk gives every env's end state.
        """
        self._whole_batch = None  # it holds the old start states
        envs = np.arange(self.n_envs)
        for chunk in range(1, self.n_chunks):
            start, end = (chunk - 1) * self.seq_len, chunk * self.seq_len
            resets = self.inner_resets[start:end]
            last_reset = np.where(
                resets.any(axis=0),
                start + resets.shape[0] - 1 - np.argmax(resets[::-1], axis=0),
                start,
            )
            lengths = end - last_reset
            n_time = int(lengths.max())
            offsets = np.arange(n_time)[:, None]
            times = last_reset + offsets - (n_time - lengths)  # [n_time, n_envs], right-aligned
            valid = times >= last_reset
            slots = np.broadcast_to(envs, valid.shape)
            layout = SequenceLayout(
                step_positions=th.from_numpy(np.flatnonzero(valid)).to(self.device),
                reset_positions=th.from_numpy(np.flatnonzero(~valid)).to(self.device),
                n_time=n_time,
                n_columns=self.n_envs,
            )
            batch = self._gather(
                times[valid] * self.n_envs + slots[valid], layout, (chunk - 1) * self.n_envs + envs
            )
            # A part that starts at a reset inside the chunk starts from zeros.
            start_states = reset_states(batch.states, resets.any(axis=0))
            _, _, final_states = policy.run_sequences(batch.observations, layout, start_states)
            keep = th.as_tensor(~self.state_resets[end], dtype=th.float32, device=self.device)
            columns = slice(chunk * self.n_envs, (chunk + 1) * self.n_envs)
            for stored, final in zip(self.start_states, final_states, strict=True):
                stored[0][:, columns] = final[0] * keep.view(1, -1, 1)
                stored[1][:, columns] = final[1] * keep.view(1, -1, 1)
