"""Mistakes a user can make on the command line, reported as one clear line and exit code 2."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class UsageError(Exception):
    """A wrong id, flag value or path: shown to the user without a traceback."""


def exits_on_usage_error(main: Callable[..., T]) -> Callable[..., T]:
    """Wrap a command's ``main`` so that a UsageError prints ``error: ...`` and exits with 2."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except UsageError as error:
            print(f"error: {error}", file=sys.stderr)
            raise SystemExit(2) from None

    return wrapper
