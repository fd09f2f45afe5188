"""The ``nixproc`` umbrella command: one click group, thin commands over the library."""
from __future__ import annotations

import os
import sys
from typing import Callable, NoReturn, TypeVar

import click

from ..deep import run_deep
from ..errors import NixprocError

T = TypeVar("T")


def fail(err: NixprocError, show_trace: bool = False) -> NoReturn:
    """Print the one-line error (plus the trace on request) and exit 1."""
    click.echo(err.one_line(), err=True)
    trace = getattr(err, "trace", None)
    if show_trace and trace:
        for what, pos in trace:
            click.echo(f"       … {what}" + (f" at {pos}" if pos else ""), err=True)
    sys.exit(1)


def run(fn: Callable[[], T], show_trace: bool = False) -> T:
    """Run library work on a deep stack and turn our errors into one line and exit 1."""
    try:
        return run_deep(fn)
    except NixprocError as err:
        fail(err, show_trace)


def write_bytes(text: str) -> None:
    """Write Nix text (latin-1 decoded bytes) to standard output unchanged."""
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("latin-1"))
    sys.stdout.buffer.flush()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nixproc-disnix")
def main() -> None:
    """Deploy processes models with any process manager, or with Disnix."""


@main.command()
@click.argument("file", required=False)
@click.option("-E", "--expr", "expr", help="Parse this expression instead of a file ('-' reads standard input).")
def parse(file: str | None, expr: str | None) -> None:
    """Print the AST of FILE as `nix-instantiate --parse` does."""
    from ..compiler.lexer import Source
    from ..compiler.parser import parse as parse_source
    from ..compiler.parser import read_source_file
    from ..compiler.printer import show

    if expr is not None:
        source = Source(expr.encode("utf-8", "surrogateescape").decode("latin-1"), "«string»", os.getcwd())
    elif file is None or file == "-":
        source = Source(sys.stdin.buffer.read().decode("latin-1"), "«stdin»", os.getcwd())
    else:
        source = run(lambda: read_source_file(file))
    write_bytes(run(lambda: show(parse_source(source))) + "\n")
