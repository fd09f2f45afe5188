"""Real Nix as an oracle: run ``nix-instantiate`` on the same input we handle.

Used by the differential tests and the corpus scripts; never by the tool itself.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from ..errors import NixprocError
from .lexer import Source
from .parser import parse
from .printer import show, show_sorted


@dataclass(frozen=True)
class Outcome:
    ok: bool
    text: str  # printed AST on success, the error's first line otherwise


def nix_instantiate() -> str:
    path = shutil.which("nix-instantiate")
    if path is None:
        raise RuntimeError("nix-instantiate is not installed (Debian: apt-get install nix-bin)")
    return path


def nix_parse(source_bytes: bytes, cwd: str) -> Outcome:
    """``nix-instantiate --parse -`` on ``source_bytes`` read from standard input."""
    proc = subprocess.run([nix_instantiate(), "--parse", "-"], input=source_bytes, cwd=cwd,
                          capture_output=True, env=_nix_env())
    if proc.returncode == 0:
        return Outcome(True, proc.stdout.decode("latin-1").removesuffix("\n"))
    return Outcome(False, proc.stderr.decode("latin-1").strip().splitlines()[0] if proc.stderr.strip() else "")


def our_parse(source_bytes: bytes, cwd: str) -> Outcome:
    try:
        return Outcome(True, show(parse(Source(source_bytes.decode("latin-1"), "«stdin»", cwd))))
    except NixprocError as err:
        return Outcome(False, err.one_line())


# Printed ASTs that are not Nix text: ``same_parse`` re-parses both printed texts
# to sort let bindings and formals, and Nix's printer (which ours copies) writes an
# interpolated path's first segment with its trailing slash (``(/d/a/ + x)``), the
# root path as ``/``, ``assert`` bare where it is an operand, and keyword attribute
# names bare (``{ then = 1; }``).  Make them parseable the
# same way on both sides before comparing.
_TRAILING_SLASH_PATH = re.compile(r"(?<![A-Za-z0-9._+\-/])(/(?:[A-Za-z0-9._+\-]+/)*)(?![A-Za-z0-9._+\-/])")
_KEYWORD_NAME = re.compile(r"(?:(?<=[{;] )|(?<=\(let ))(then|else|assert|with|let|in|rec|inherit)(?= = )")


def _reparseable(printed: str) -> str:
    printed = _TRAILING_SLASH_PATH.sub(r"\1.trailing-slash", printed)
    return _wrap_operand_asserts(_KEYWORD_NAME.sub(r'"\1"', printed))


_OPERATOR_ENDS = ("+", "//", "==", "!=", "&&", "||", "->", "++", "!")


def _wrap_operand_asserts(printed: str) -> str:
    """Parenthesise ``assert`` where Nix prints it as an operand or argument
    (``("a" + assert c; b)``), up to the end of the enclosing group.  Printed
    strings escape ``$``, so a ``"${`` opens a printed dynamic attribute name."""
    out: list[str] = []
    groups: list[list] = [["", 0]]  # [closing text, parentheses owed]
    i, n = 0, len(printed)
    while i < n:
        c = printed[i]
        if printed.startswith('"${', i):
            groups.append(['}"', 0])
            out.append('"${')
            i += 3
            continue
        if c == '"':
            j = i + 1
            while j < n and printed[j] != '"':
                j += 2 if printed[j] == "\\" else 1
            out.append(printed[i:j + 1])
            i = j + 1
            continue
        if c in "([{":
            groups.append([{"(": ")", "[": "]", "{": "}"}[c], 0])
        elif len(groups) > 1 and printed.startswith(groups[-1][0], i):
            closing, owed = groups.pop()
            out.append(")" * owed + closing)
            i += len(closing)
            continue
        elif printed.startswith("assert ", i) and (i == 0 or not (printed[i - 1].isalnum() or printed[i - 1] in "_'-")):
            before = "".join(out).rstrip()
            if before and (before.endswith(_OPERATOR_ENDS) or before[-1].isalnum() or before[-1] in "_'\")]}"):
                out.append("(")
                groups[-1][1] += 1
        out.append(c)
        i += 1
    out.append(")" * groups[0][1])
    return "".join(out)


def normalise(printed: str, cwd: str) -> str:
    """Printed AST text with the address-ordered parts (let bindings, formals) sorted."""
    return show_sorted(parse(Source(_reparseable(printed), "«stdin»", cwd), check_scopes=False))


def same_parse(ours: Outcome, theirs: Outcome, cwd: str) -> bool:
    """Both failed, or both printed the same AST up to the order Nix leaves to chance."""
    if ours.ok != theirs.ok:
        return False
    if not ours.ok or ours.text == theirs.text:
        return True
    if sorted(ours.text) != sorted(theirs.text):
        return False
    return normalise(ours.text, cwd) == normalise(theirs.text, cwd)


def _nix_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("NIX_PATH", "")
    env["NIX_REMOTE"] = env.get("NIX_REMOTE", "")
    return env
