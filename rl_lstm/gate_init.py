"""How the LSTMs' gate biases start: the setting that decides how long memory lasts at first.

A cell keeps its value for about ``1 / (1 - f)`` steps while its forget gate is ``f``. With
PyTorch's default initialisation (what sb3-contrib uses) the forget gates start near 0.5, a
memory of about 2 steps, and a gradient over a gap of L steps shrinks like ``0.5 ** L``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn

GATE_INITS = "'sb3', 'forget:<bias>' (e.g. 'forget:3') or 'chrono[:<horizon>]' (e.g. 'chrono:600')"


@dataclass(frozen=True)
class GateInit:
    """A gate-bias initialisation, written as a string in ``policy_kwargs["gate_init"]``.

    - ``"sb3"``: PyTorch's default, uniform in ±1/sqrt(units) for every bias (sb3-contrib's).
    - ``"forget:<b>"``: the forget gate's bias is ``b`` (Gers et al. 2000; Jozefowicz et al.
      2015 use 1): memory of about ``1 + e**b`` steps from the start.
    - ``"chrono:<T>"``: chrono initialisation (Tallec & Ollivier 2018): per unit the forget
      bias is ``log(u)``, ``u ~ U(1, T - 1)``, and the input bias its negative, so the units'
      memories spread over 2 to ``T`` steps. ``"chrono"`` alone takes the horizon from the
      agent (:class:`rl_lstm.RecurrentPPO`: the training sequence length).

    The effective bias of a gate is PyTorch's ``bias_ih + bias_hh``: a bias set here is put in
    ``bias_ih`` with ``bias_hh`` zero, so the sum is exactly the value. The other gates keep
    PyTorch's default.
    """

    kind: str
    value: float | None = None

    @classmethod
    def parse(cls, text: str | GateInit) -> GateInit:
        """Read a setting from its string, with an error naming what is accepted."""
        if isinstance(text, GateInit):
            return text
        if not isinstance(text, str):
            raise ValueError(f"gate_init={text!r} is not a string; use {GATE_INITS}")
        kind, _, value_text = text.partition(":")
        if text == "sb3" or text == "chrono":
            return cls(text)
        if kind in ("forget", "chrono") and value_text:
            try:
                value = float(value_text)
            except ValueError:
                value = math.nan
            if kind == "forget" and math.isfinite(value):
                return cls(kind, value)
            if kind == "chrono" and 2 < value < math.inf:
                return cls(kind, value)
        raise ValueError(
            f"gate_init={text!r} is not a gate initialisation; use {GATE_INITS} "
            "(a finite bias, a horizon > 2)"
        )

    def __str__(self) -> str:
        return self.kind if self.value is None else f"{self.kind}:{self.value:g}"

    def with_horizon(self, horizon: int) -> GateInit:
        """``"chrono"`` without a horizon gets ``horizon``; any other setting is returned."""
        if self.kind == "chrono" and self.value is None:
            return GateInit("chrono", float(max(horizon, 3)))
        return self

    def apply(self, lstm: nn.LSTM) -> None:
        """Set the gate biases of every layer of ``lstm`` (chrono draws from torch's RNG)."""
        if self.kind == "sb3":
            return
        if self.value is None:
            raise ValueError("gate_init='chrono' needs a horizon here: write 'chrono:<horizon>'")
        if not lstm.bias:
            raise ValueError(f"gate_init={str(self)!r} needs LSTM biases (lstm_kwargs bias=True)")
        import torch as th  # here, so that reading a setting (as flags are checked) needs no torch

        units = lstm.hidden_size
        input_gate, forget_gate = slice(0, units), slice(units, 2 * units)
        with th.no_grad():
            for layer in range(lstm.num_layers):
                bias_ih = getattr(lstm, f"bias_ih_l{layer}")
                bias_hh = getattr(lstm, f"bias_hh_l{layer}")
                if self.kind == "forget":
                    bias_ih[forget_gate] = self.value
                else:
                    forget = th.empty(units).uniform_(1.0, self.value - 1.0).log_()
                    bias_ih[forget_gate] = forget
                    bias_ih[input_gate] = -forget
                    bias_hh[input_gate] = 0.0
                bias_hh[forget_gate] = 0.0
