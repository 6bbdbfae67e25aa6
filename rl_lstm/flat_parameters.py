"""A network's parameters and gradients as views of two flat buffers.

On the small networks of recurrent PPO, the optimizer step, gradient clipping and zeroing
cost more in per-tensor work than in math. With everything in one buffer each is one
kernel, and an optimizer that updates each element on its own (Adam, AdamW) steps the one
buffer with the same result as stepping every parameter.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch as th
from torch import nn

# Optimizers whose update of an element reads only that element's gradient and state.
ELEMENTWISE_OPTIMIZERS: tuple[type[th.optim.Optimizer], ...] = (th.optim.Adam, th.optim.AdamW)


class FlatParameters:
    """Every parameter a view of ``data``, and its gradient a view of ``grad``.

    Backward adds into gradients that exist, in place, so it fills ``grad``; ``data`` is a
    leaf whose ``.grad`` is ``grad``, for an optimizer to step as one tensor.
    """

    def __init__(self, parameters: Iterable[nn.Parameter]) -> None:
        self.parameters = list(parameters)
        with th.no_grad():
            self.data = th.cat([p.reshape(-1) for p in self.parameters]).requires_grad_()
        self.grad = th.zeros_like(self.data)
        self._data_views = self._views_of(self.data.detach())
        self._grad_views = self._views_of(self.grad)
        self.attach()

    def _views_of(self, buffer: th.Tensor) -> list[th.Tensor]:
        sizes = [p.numel() for p in self.parameters]
        return [
            view.view_as(p) for view, p in zip(buffer.split(sizes), self.parameters, strict=True)
        ]

    def attach(self) -> None:
        """Point parameters and gradients at the buffers again where something replaced them
        (an assigned ``.data``, ``zero_grad(set_to_none=True)``), keeping their values."""
        with th.no_grad():
            for param, data, grad in zip(
                self.parameters, self._data_views, self._grad_views, strict=True
            ):
                if param.data_ptr() != data.data_ptr():
                    data.copy_(param)
                    param.data = data
                if param.grad is None:
                    grad.zero_()
                    param.grad = grad
                elif param.grad.data_ptr() != grad.data_ptr():
                    grad.copy_(param.grad)
                    param.grad = grad
        self.data.grad = self.grad

    def zero_grad(self) -> None:
        self.grad.zero_()

    def clip_grad_norm(self, max_norm: float) -> th.Tensor:
        """Scale the gradients to a total 2-norm of at most ``max_norm`` and return the norm
        they had: ``th.nn.utils.clip_grad_norm_([self.data], max_norm)`` to the bit, without
        its per-call grouping and checks (17 against 43 us here, once per minibatch)."""
        total_norm = th.linalg.vector_norm(self.grad)
        self.grad.mul_((max_norm / (total_norm + 1e-6)).clamp_(max=1.0))
        return total_norm


def flat_optimizer_state(
    state_dict: dict[str, Any], parameters: list[nn.Parameter]
) -> dict[str, Any]:
    """An optimizer state saved for each of ``parameters`` (one group), as the state of an
    optimizer of the flat buffer: per-element state concatenated, the rest (the step
    count) taken from the first parameter."""
    (group,) = state_dict["param_groups"]
    states = [state_dict["state"].get(index) for index in group["params"]]
    flat_group = {**group, "params": [0]}
    if any(state is None for state in states):  # never stepped
        return {"state": {}, "param_groups": [flat_group]}
    flat_state = {
        key: th.cat([state[key].reshape(-1) for state in states])
        if all(state[key].shape == p.shape for state, p in zip(states, parameters, strict=True))
        else states[0][key].clone()  # not shared with the optimizer it came from
        for key in states[0]
    }
    return {"state": {0: flat_state}, "param_groups": [flat_group]}
