"""The LSTM math: one step with the gates exposed, and whole sequences with reset steps.

Acting steps actor and critic LSTMs together, by hand, so the gate activations come with
each step; training runs a minibatch of whole sequences through each LSTM in one call, a
state reset inside a sequence being an extra *reset step* (see
:class:`rl_lstm.buffer.SequenceLayout`).
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

import torch as th
from torch import nn

if TYPE_CHECKING:
    from rl_lstm.buffer import SequenceLayout

LSTMState = tuple[th.Tensor, th.Tensor]


class StepWeights(NamedTuple):
    """One layer's weights for :func:`lstm_step`, those of several LSTMs stacked along the
    first axis and transposed (biases None without bias)."""

    w_ih: th.Tensor  # [n_lstms, input, 4 * units]
    w_hh: th.Tensor  # [n_lstms, units, 4 * units]
    b_ih: th.Tensor | None  # [n_lstms, 1, 4 * units]
    b_hh: th.Tensor | None  # [n_lstms, 1, 4 * units]


def stack_views(tensors: Sequence[th.Tensor]) -> th.Tensor:
    """``th.stack(tensors)``, as a view of their storage where they lie in it at equal
    distances (as :class:`rl_lstm.flat_parameters.FlatParameters` lays out two LSTMs of one
    shape): a view always reads the tensors' current values."""
    first = tensors[0]
    if len(tensors) == 1:
        return first[None]
    gap = tensors[1].storage_offset() - first.storage_offset()
    evenly_spaced = gap >= first.numel() and all(
        t.is_contiguous()
        and t.shape == first.shape
        and t.untyped_storage().data_ptr() == first.untyped_storage().data_ptr()
        and t.storage_offset() == first.storage_offset() + i * gap
        for i, t in enumerate(tensors)
    )
    if not evenly_spaced:
        return th.stack(list(tensors))
    return first.as_strided((len(tensors), *first.shape), (gap, *first.stride()))


def stacked_weights(lstms: Sequence[nn.LSTM]) -> list[StepWeights]:
    """Per layer, the weights of ``lstms`` stacked (:func:`stack_views`), so that one batched
    matmul steps them all."""
    layers = []
    for layer in range(lstms[0].num_layers):
        w_ih, w_hh, *biases = (
            stack_views(weights)
            for weights in zip(*(lstm.all_weights[layer] for lstm in lstms), strict=True)
        )
        b_ih, b_hh = (b[:, None] for b in biases) if biases else (None, None)
        layers.append(StepWeights(w_ih.transpose(1, 2), w_hh.transpose(1, 2), b_ih, b_hh))
    return layers


def lstm_step(
    weights: Sequence[StepWeights], x: th.Tensor, state: LSTMState
) -> tuple[LSTMState, th.Tensor]:
    """One timestep of several LSTMs for a batch, computed by hand so the gates are visible
    (nn.LSTM's math).

    ``weights`` come from :func:`stacked_weights`; ``x`` is [batch, input], read by every
    LSTM, or [n_lstms, batch, input]; ``state`` is ``(h, c)`` of shape
    [layers, n_lstms, batch, units]. Returns the new ``(h, c)`` and the sigmoid of the top
    layer's gate pre-activations [n_lstms, batch, 4 * units] in PyTorch's gate order (i, f,
    g, o; the g slot is unused, g goes through tanh).
    """
    h_prev, c_prev = state
    units = h_prev.shape[-1]
    if x.dim() == 2:
        x = x.expand(h_prev.shape[1], *x.shape)
    h_layers, c_layers = [], []
    for layer, (w_ih, w_hh, b_ih, b_hh) in enumerate(weights):
        gates = th.bmm(x, w_ih) if b_ih is None else th.baddbmm(b_ih, x, w_ih)
        gates.baddbmm_(h_prev[layer], w_hh)
        if b_hh is not None:
            gates += b_hh
        activations = gates.sigmoid()
        candidate = gates[..., 2 * units : 3 * units].tanh()
        forget_gate, input_gate = activations[..., units : 2 * units], activations[..., :units]
        c = th.addcmul(forget_gate * c_prev[layer], input_gate, candidate)
        x = activations[..., 3 * units :] * c.tanh()
        h_layers.append(x)
        c_layers.append(c)
    return (th.stack(h_layers), th.stack(c_layers)), activations


# Pre-activation of the gates at a reset step: sigmoid of it is exactly 0.0 in float32.
RESET_PREACTIVATION = -1e6


@functools.cache
def _reset_weight(hidden_size: int, device: th.device, dtype: th.dtype) -> th.Tensor:
    """Weight of the reset channel: RESET_PREACTIVATION on the i, f and o gates, 0 on g."""
    weight = th.full((4 * hidden_size, 1), RESET_PREACTIVATION, device=device, dtype=dtype)
    weight[2 * hidden_size : 3 * hidden_size] = 0.0
    return weight


def to_grid(features: th.Tensor, layout: SequenceLayout) -> tuple[th.Tensor, th.Tensor]:
    """Per-step features placed in the grid with the reset channel appended, and that channel."""
    grid_cells = layout.n_time * layout.n_columns
    reset_channel = features.new_zeros(grid_cells, 1)
    reset_channel.index_fill_(0, layout.reset_positions, 1.0)
    grid = features.new_zeros(grid_cells, features.shape[1]).index_copy(
        0, layout.step_positions, features
    )
    return th.cat([grid, reset_channel], 1), reset_channel


@contextlib.contextmanager
def _cudnn_as_acting() -> Iterator[None]:
    """cuDNN's LSTM in full float32, as acting's matmuls are, so training recomputes what
    acting recorded (its TF32 default differs by ~1e-4); and without its warning that it
    copies non-contiguous weights: the reset column makes new ones each call (a few KB)."""
    allow_tf32 = th.backends.cudnn.allow_tf32
    th.backends.cudnn.allow_tf32 = False
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="RNN module weights are not part of single")
            yield
    finally:
        th.backends.cudnn.allow_tf32 = allow_tf32


def run_lstm(
    lstm: nn.LSTM,
    grid_input: th.Tensor,
    reset_channel: th.Tensor,
    layout: SequenceLayout,
    state: LSTMState,
) -> tuple[th.Tensor, LSTMState]:
    """Run ``lstm`` over every sequence of ``layout`` (see :func:`to_grid`), one call per layer.

    Each layer's input carries the reset channel, whose fixed weight drives the input,
    forget and output gates to exactly 0 at reset steps. Returns the top layer's output
    for each step and the state at the grid's last time.
    """
    final_h, final_c = [], []
    x = grid_input
    with _cudnn_as_acting() if x.is_cuda else contextlib.nullcontext():
        for layer, (w_ih, *other_weights) in enumerate(lstm.all_weights):
            if layer > 0:
                x = th.cat([x, reset_channel], 1)
            reset_weight = _reset_weight(lstm.hidden_size, w_ih.device, w_ih.dtype)
            output, h, c = th.lstm(
                x.view(layout.n_time, layout.n_columns, -1),
                (state[0][layer : layer + 1], state[1][layer : layer + 1]),
                [th.cat([w_ih, reset_weight], 1), *other_weights],
                lstm.bias,
                1,  # layers
                0.0,  # dropout
                th.is_grad_enabled(),  # train: cuDNN keeps what backward needs only then
                False,  # bidirectional
                False,  # batch_first
            )
            x = output.view(-1, lstm.hidden_size)
            final_h.append(h)
            final_c.append(c)
    return x.index_select(0, layout.step_positions), (th.cat(final_h), th.cat(final_c))
