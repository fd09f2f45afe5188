"""What every command shares: one-line errors, a deep stack, byte-exact output."""
from __future__ import annotations

import sys
from typing import Any, Callable, NoReturn, TypeVar

import click

from ..deep import run_deep
from ..errors import EvalError, NixprocError

T = TypeVar("T")


class OneLineUsageError(click.ClickException):
    """A bad option value, reported as every other error is: one ``error:`` line and exit status 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def fail(err: NixprocError, show_trace: bool = False) -> NoReturn:
    """Print the one-line error (plus the trace on request) and exit 1."""
    click.echo(err.one_line(), err=True)
    trace = list(getattr(err, "trace", None) or [])
    if isinstance(err, EvalError) and err.culprit() != err.pos:
        trace.insert(0, ("raised", err.pos))
    if show_trace and trace:
        for what, pos in trace:
            click.echo(f"       … {what}" + (f" at {pos}" if pos else ""), err=True)
    sys.exit(1)


def run(fn: Callable[[], T], show_trace: bool = False) -> T:
    """Run library work on a deep stack and turn our errors into one line and exit 1.

    Ctrl-C (SIGINT) is an error too, as in Nix: ``error: interrupted by the user``,
    after the work had the chance to undo what it started (see ``run_deep``).
    """
    try:
        return run_deep(fn)
    except NixprocError as err:
        fail(err, show_trace)
    except KeyboardInterrupt:
        fail(NixprocError("interrupted by the user"))


def write_bytes(text: str) -> None:
    """Write Nix text (latin-1 decoded bytes) to standard output unchanged."""
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("latin-1"))
    sys.stdout.buffer.flush()
