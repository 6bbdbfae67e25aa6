"""Tests of how a command reports a usage error: one `error: ...` line on stderr and exit code 2."""

from __future__ import annotations

import pytest

from train.errors import UsageError, exits_on_usage_error


@exits_on_usage_error
def command(argv: list[str], *, verbose: bool = False) -> int:
    """A command line that rejects --bad."""
    if "--bad" in argv:
        raise UsageError("argument --bad: not a flag of this command")
    return len(argv) + 10 * verbose


def raising(error: BaseException):
    @exits_on_usage_error
    def main() -> None:
        raise error

    return main


def test_a_command_without_errors_returns_what_main_returns_for_its_arguments(capsys):
    assert command(["--env", "TMaze-v0"]) == 2
    assert command([], verbose=True) == 10
    assert capsys.readouterr().err == ""


def test_a_usage_error_prints_one_error_line_on_stderr_and_exits_with_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        command(["--bad"])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.err == "error: argument --bad: not a flag of this command\n"
    assert captured.out == ""


def test_the_exit_does_not_chain_the_usage_error_into_a_traceback():
    with pytest.raises(SystemExit) as exit_info:
        command(["--bad"])
    assert exit_info.value.__cause__ is None and exit_info.value.__suppress_context__


@pytest.mark.parametrize(
    "error", [ValueError("a bug"), KeyboardInterrupt(), SystemExit(130)], ids=type
)
def test_other_exceptions_pass_through_unchanged_and_print_nothing(capsys, error):
    with pytest.raises(type(error)) as raised:
        raising(error)()
    assert raised.value is error
    assert capsys.readouterr().err == ""
