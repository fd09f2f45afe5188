"""Run one source text through real Nix and through our parser, keeping error positions.

``nixproc_disnix.compiler.oracle`` compares outcomes; here we also need the line
and column of each error, which Nix prints in the location block of its message
(``at «stdin»:L:C:``), not on the first line.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from nixproc_disnix.compiler.lexer import Source
from nixproc_disnix.compiler.oracle import Outcome, _nix_env, same_parse
from nixproc_disnix.compiler.parser import parse
from nixproc_disnix.compiler.printer import show
from nixproc_disnix.errors import NixprocError

# Nix writes «stdin» UTF-8 encoded whatever the encoding of the source is.
_STDIN_POS = re.compile(rb"at \xc2\xabstdin\xc2\xbb:(\d+):(\d+):")

# ``--parse`` never touches the store; the dummy store skips opening the real
# one, which halves the start-up time of every call (measured: ~32 ms -> ~18 ms).
NIX_ARGS = ("--store", "dummy://", "--parse", "-")


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    pos: tuple[int, int] | None  # (line, column) of the error, None on success
    detail: str  # full error text (Nix's whole stderr), for failure messages


def nix_result(source: bytes, cwd: str) -> Result:
    exe = shutil.which("nix-instantiate")
    assert exe is not None, "nix-instantiate is not installed"
    proc = subprocess.run([exe, *NIX_ARGS], input=source, cwd=cwd, capture_output=True, env=_nix_env())
    if proc.returncode == 0:
        return Result(Outcome(True, proc.stdout.decode("latin-1").removesuffix("\n")), None, "")
    stderr = proc.stderr.decode("latin-1").strip()
    m = _STDIN_POS.search(proc.stderr)
    pos = (int(m.group(1)), int(m.group(2))) if m else None
    return Result(Outcome(False, stderr.splitlines()[0] if stderr else ""), pos,
                  proc.stderr.decode("utf-8", "replace"))


def our_result(source: bytes, cwd: str) -> Result:
    try:
        return Result(Outcome(True, show(parse(Source(source.decode("latin-1"), "«stdin»", cwd)))), None, "")
    except NixprocError as err:
        pos = (err.pos.line, err.pos.column) if err.pos is not None else None
        return Result(Outcome(False, err.one_line()), pos, err.one_line())


def compare(source: bytes, cwd: str) -> tuple[Result, Result, bool]:
    """(ours, Nix's, same parse) for ``source`` read from standard input in ``cwd``."""
    ours, theirs = our_result(source, cwd), nix_result(source, cwd)
    return ours, theirs, same_parse(ours.outcome, theirs.outcome, cwd)


def describe(source: bytes, ours: Result, theirs: Result) -> str:
    return (f"\ninput:  {source!r}\nours:   {ours.outcome.text} (pos {ours.pos})"
            f"\nnix:    {theirs.outcome.text} (pos {theirs.pos})\n{theirs.detail}")
