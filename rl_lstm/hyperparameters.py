"""What each hyperparameter accepts: one table, checked by ``RecurrentPPO`` and by the command line.

Imports no torch, so that the command line can check its flags before loading it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class HyperparameterError(ValueError):
    """A hyperparameter's value is not accepted; ``name`` says which."""

    def __init__(self, name: str, value: Any, why: str) -> None:
        super().__init__(f"{name}={value!r} is invalid: {why}")
        self.name = name


@dataclass(frozen=True)
class Rule:
    """A test of one value and what it accepts, in words."""

    accepts: Callable[[Any], bool]
    allowed: str


_AT_LEAST_ONE = Rule(lambda v: _integer(v) and v >= 1, "an integer >= 1")
_POSITIVE_OR_SCHEDULE = Rule(
    lambda v: callable(v) or (_number(v) and v > 0), "a finite number > 0 (or a schedule)"
)
_NON_NEGATIVE = Rule(lambda v: _number(v) and v >= 0, "a finite number >= 0")

RULES: dict[str, Rule] = {
    "n_envs": _AT_LEAST_ONE,
    "n_steps": _AT_LEAST_ONE,
    "batch_size": _AT_LEAST_ONE,
    "n_epochs": _AT_LEAST_ONE,
    "learning_rate": _POSITIVE_OR_SCHEDULE,
    "gamma": Rule(lambda v: _number(v) and 0 < v <= 1, "a number in (0, 1]"),
    "gae_lambda": Rule(lambda v: _number(v) and 0 <= v <= 1, "a number in [0, 1]"),
    "clip_range": _POSITIVE_OR_SCHEDULE,
    "clip_range_vf": Rule(
        lambda v: v is None or _POSITIVE_OR_SCHEDULE.accepts(v),
        "None or a finite number > 0 (or a schedule)",
    ),
    "ent_coef": _NON_NEGATIVE,
    "vf_coef": _NON_NEGATIVE,
    "max_grad_norm": Rule(lambda v: _number(v) and v > 0, "a finite number > 0"),
    "target_kl": Rule(lambda v: v is None or (_number(v) and v > 0), "None or a finite number > 0"),
    "seq_len": Rule(lambda v: v is None or (_integer(v) and v >= 1), "None or an integer >= 1"),
    "context": Rule(lambda v: _integer(v) and v >= 0, "an integer >= 0"),
}


def problem(name: str, value: Any) -> str | None:
    """Why ``value`` is not accepted for ``name`` (a key of :data:`RULES`), or None."""
    rule = RULES[name]
    return None if rule.accepts(value) else f"must be {rule.allowed}"


def check_hyperparameters(settings: Mapping[str, Any]) -> None:
    """Raise :class:`HyperparameterError` naming the first setting not accepted, alone or beside
    the others; names missing from ``settings`` are not checked."""
    for name, value in settings.items():
        if name in RULES and (why := problem(name, value)):
            raise HyperparameterError(name, value, why)
    n_steps, seq_len = settings.get("n_steps"), settings.get("seq_len")
    if n_steps is not None and seq_len is not None and seq_len > n_steps:
        raise HyperparameterError("seq_len", seq_len, f"must be None or 1..n_steps={n_steps}")
    longest = seq_len or n_steps
    context = settings.get("context")
    if context and longest is not None and context > longest:
        raise HyperparameterError("context", context, f"must be 0..seq_len (here {longest})")


def minibatch_problem(n_steps: int, n_envs: int, batch_size: int) -> str | None:
    """Why a ``batch_size`` larger than the rollout is worth a word, or None: SB3 then trains on
    the whole rollout as one minibatch, which the command line refuses and the library warns of."""
    rollout = n_steps * n_envs
    if batch_size <= rollout:
        return None
    return f"batch_size={batch_size} is more than the rollout's n_steps * n_envs = {rollout}"
