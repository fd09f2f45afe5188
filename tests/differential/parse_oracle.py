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
from nixproc_disnix.compiler.printer import show, show_id
from nixproc_disnix.deep import run_deep
from nixproc_disnix.errors import NixprocError, ParseError

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
    crashed: bool = False  # nix-instantiate died of a signal or an internal exception (a Nix bug)


def nix_result(source: bytes, cwd: str) -> Result:
    exe = shutil.which("nix-instantiate")
    assert exe is not None, "nix-instantiate is not installed"
    proc = subprocess.run([exe, *NIX_ARGS], input=source, cwd=cwd, capture_output=True, env=_nix_env())
    if proc.returncode == 0:
        return Result(Outcome(True, proc.stdout.decode("latin-1").removesuffix("\n")), None, "")
    if proc.returncode < 0:
        return Result(Outcome(False, f"nix-instantiate died of signal {-proc.returncode}"), None, "", crashed=True)
    stderr = proc.stderr.decode("latin-1").strip()
    if stderr.startswith("error: basic_string: "):  # a C++ exception escaping Nix's parser
        return Result(Outcome(False, stderr.splitlines()[0]), None, stderr, crashed=True)
    m = _STDIN_POS.search(proc.stderr)
    pos = (int(m.group(1)), int(m.group(2))) if m else None
    return Result(Outcome(False, stderr.splitlines()[0] if stderr else ""), pos,
                  proc.stderr.decode("utf-8", "replace"))


def our_result(source: bytes, cwd: str) -> Result:
    try:
        # On a deep stack, as the CLI runs it: deeply nested input is fine.
        text = run_deep(lambda: show(parse(Source(source.decode("latin-1"), "«stdin»", cwd))))
        return Result(Outcome(True, text), None, "")
    except NixprocError as err:
        pos = (err.pos.line, err.pos.column) if err.pos is not None else None
        return Result(Outcome(False, err.one_line()), pos, err.one_line())


def compare(source: bytes, cwd: str) -> tuple[Result, Result, bool]:
    """(ours, Nix's, same parse) for ``source`` read from standard input in ``cwd``."""
    ours, theirs = our_result(source, cwd), nix_result(source, cwd)
    return ours, theirs, run_deep(lambda: same_parse(ours.outcome, theirs.outcome, cwd))


def describe(source: bytes, ours: Result, theirs: Result) -> str:
    return (f"\ninput:  {source!r}\nours:   {ours.outcome.text} (pos {ours.pos})"
            f"\nnix:    {theirs.outcome.text} (pos {theirs.pos})\n{theirs.detail}")


def undefined_variables(source: bytes, cwd: str) -> set[tuple[str, tuple[int, int]]]:
    """Every (name as messages show it, (line, column)) our scope check finds
    undefined in ``source``, not just the first: each culprit is renamed to a
    builtin and the check re-run."""
    import dataclasses

    from nixproc_disnix.compiler import ast
    from nixproc_disnix.compiler.scope import bind_vars

    tree = parse(Source(source.decode("latin-1"), "«stdin»", cwd), check_scopes=False)
    variables: list[ast.Var] = []

    def walk(node: object) -> None:
        if isinstance(node, ast.Var):
            variables.append(node)
        if isinstance(node, (list, tuple)):
            for x in node:
                walk(x)
        elif isinstance(node, dict):
            for x in node.values():
                walk(x)
        elif dataclasses.is_dataclass(node) and not isinstance(node, type):
            for f in dataclasses.fields(node):
                if f.name != "pos":
                    walk(getattr(node, f.name))

    run_deep(lambda: walk(tree))
    found: set[tuple[str, tuple[int, int]]] = set()
    while True:
        try:
            run_deep(lambda: bind_vars(tree))
            return found
        except ParseError as err:
            assert err.pos is not None
            where = (err.pos.line, err.pos.column)
            name = err.message.split("'")[1]
            culprits = [v for v in variables if show_id(v.name) == name and v.pos is not None
                        and (v.pos.line, v.pos.column) == where]
            assert culprits, err.one_line()
            found.add((name, where))
            for v in culprits:
                v.name = "true"
