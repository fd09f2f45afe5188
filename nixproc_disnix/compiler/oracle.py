"""Real Nix as an oracle: run ``nix-instantiate`` on the same input we handle.

Used by the differential tests and the corpus scripts; never by the tool itself.
"""
from __future__ import annotations

import os
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


def normalise(printed: str, cwd: str) -> str:
    """Printed AST text with the address-ordered parts (let bindings, formals) sorted."""
    return show_sorted(parse(Source(printed, "«stdin»", cwd), check_scopes=False))


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
