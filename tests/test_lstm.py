"""The hand-written LSTM step and the one-call sequence run with reset steps are nn.LSTM's math."""

from __future__ import annotations

import numpy as np
import pytest
import torch as th

from rl_lstm.buffer import SequenceLayout
from rl_lstm.lstm import lstm_step, run_lstm, stacked_weights, to_grid


def single_step(lstm, x, state):
    """:func:`lstm_step` of one LSTM, on and to [layers, batch, units] states."""
    (h, c), gates = lstm_step(stacked_weights([lstm]), x, (state[0][:, None], state[1][:, None]))
    return (h[:, 0], c[:, 0]), gates[0]


@pytest.mark.parametrize("layers", [1, 2])
def test_lstm_step_equals_nn_lstm(layers):
    th.manual_seed(0)
    lstm = th.nn.LSTM(5, 7, num_layers=layers)
    x = th.randn(4, 5)
    state = (th.randn(layers, 4, 7), th.randn(layers, 4, 7))
    (h, c), gates = single_step(lstm, x, state)
    expected_out, (expected_h, expected_c) = lstm(x[None], state)
    assert th.allclose(h, expected_h, atol=1e-6) and th.allclose(c, expected_c, atol=1e-6)
    assert th.allclose(h[-1], expected_out[0], atol=1e-6)
    assert gates.shape == (4, 28) and bool(((gates > 0) & (gates < 1)).all())


@pytest.mark.parametrize("shared_input", [True, False])
@pytest.mark.parametrize("layers", [1, 2])
def test_stacked_step_equals_each_lstm_alone(layers, shared_input):
    th.manual_seed(0)
    actor, critic = th.nn.LSTM(5, 7, num_layers=layers), th.nn.LSTM(5, 7, num_layers=layers)
    x_actor, x_critic = th.randn(4, 5), th.randn(4, 5)
    if shared_input:
        x_critic = x_actor
    states = [(th.randn(layers, 4, 7), th.randn(layers, 4, 7)) for _ in range(2)]
    stacked_input = x_actor if shared_input else th.stack([x_actor, x_critic])
    stacked_state = tuple(th.stack(parts, 1) for parts in zip(*states, strict=True))
    (h, c), gates = lstm_step(stacked_weights([actor, critic]), stacked_input, stacked_state)
    parts = zip((actor, critic), (x_actor, x_critic), states, strict=True)
    for part, (lstm, x, state) in enumerate(parts):
        (expected_h, expected_c), expected_gates = single_step(lstm, x, state)
        assert th.allclose(h[:, part], expected_h, atol=1e-6)
        assert th.allclose(c[:, part], expected_c, atol=1e-6)
        assert th.allclose(gates[part], expected_gates, atol=1e-6)


def step_by_step(lstm, x, resets, state):
    """Reference: a Python loop over time that zeroes the state where ``resets`` says."""
    h, c = state
    outputs = []
    for t in range(x.shape[0]):
        keep = (~resets[t]).float().view(1, -1, 1)
        (h, c), _ = single_step(lstm, x[t], (h * keep, c * keep))
        outputs.append(h[-1])
    return th.stack(outputs), (h, c)


@pytest.mark.parametrize("layers", [1, 2])
def test_one_call_with_reset_steps_equals_a_step_loop(layers):
    th.manual_seed(1)
    rng = np.random.default_rng(1)
    n_time, n_columns, hidden = 9, 4, 6
    lstm = th.nn.LSTM(3, hidden, num_layers=layers)
    x = th.randn(n_time, n_columns, 3, requires_grad=True)
    resets = th.from_numpy(rng.random((n_time, n_columns)) < 0.3)
    resets[0] = False  # a reset at time 0 is part of the start state
    state = (th.randn(layers, n_columns, hidden), th.randn(layers, n_columns, hidden))
    expected, _ = step_by_step(lstm, x, resets, state)

    # Grid layout: each column's steps shifted down by the reset steps inserted before them.
    position = th.arange(n_time)[:, None] + th.cumsum(resets.long(), 0)
    columns = th.arange(n_columns).expand(n_time, n_columns)
    step_cells = (position * n_columns + columns).flatten()
    reset_cells = ((position - 1) * n_columns + columns)[resets]
    grid_time = int(position.max()) + 1
    layout = SequenceLayout(step_cells, reset_cells, grid_time, n_columns)
    features = x.reshape(n_time * n_columns, 3)
    outputs, _ = run_lstm(lstm, *to_grid(features, layout), layout, state)
    assert th.allclose(outputs, expected.reshape(-1, hidden), atol=1e-6)

    # Gradients are the same too: nothing flows back through a reset.
    grad_loop = th.autograd.grad(expected.square().sum(), [x, *lstm.parameters()])
    grad_call = th.autograd.grad(outputs.square().sum(), [x, *lstm.parameters()])
    for a, b in zip(grad_loop, grad_call, strict=True):
        assert th.allclose(a, b, atol=1e-5)


def test_stacked_weights_of_packed_lstms_are_views_of_the_flat_buffer():
    from rl_lstm.flat_parameters import FlatParameters

    th.manual_seed(0)
    lstms = [th.nn.LSTM(3, 5, num_layers=2) for _ in range(2)]
    expected = stacked_weights_copied(lstms)
    flat = FlatParameters(th.nn.ModuleList(lstms).parameters())
    stacked = stacked_weights(lstms)
    for layer, reference in zip(stacked, expected, strict=True):
        for tensor, copied in zip(layer, reference, strict=True):
            assert th.equal(tensor, copied)
            assert tensor.untyped_storage().data_ptr() == flat.data.untyped_storage().data_ptr()
    with th.no_grad():
        flat.data.add_(1.0)  # an optimizer step, say: the views read it
    for layer, reference in zip(stacked, stacked_weights_copied(lstms), strict=True):
        assert all(th.equal(a, b) for a, b in zip(layer, reference, strict=True))


def stacked_weights_copied(lstms):
    """Reference of :func:`stacked_weights`: copies made with ``th.stack``."""
    return [
        tuple(
            th.stack([w.detach().t() if w.dim() == 2 else w.detach()[None] for w in weights])
            for weights in zip(*(lstm.all_weights[layer] for lstm in lstms), strict=True)
        )
        for layer in range(lstms[0].num_layers)
    ]
