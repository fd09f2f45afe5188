"""Real Nix 2.8 as the oracle for the store tests, one process per batch of cases."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

_NIX_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "$": "\\$", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def nix_string(s: str) -> str:
    """``s`` as a Nix string literal."""
    return f'"{s.translate(_NIX_ESCAPES)}"'


def nix_value(value: str | list[str]) -> str:
    """A string or list of strings as a Nix expression."""
    if isinstance(value, list):
        return "[ " + " ".join(nix_string(v) for v in value) + " ]"
    return nix_string(value)


def nix_attrs(attrs: dict[str, str | list[str]]) -> str:
    """An attribute set literal with quoted names, so any key works."""
    return "{ " + " ".join(f"{nix_string(k)} = {nix_value(v)};" for k, v in attrs.items()) + " }"


class NixOracle:
    """Runs ``nix-instantiate``/``nix-store``/``nix-hash``; never writes to /nix/store."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir

    def run(self, args: list[str], store_dir: str | None = None, input: bytes | None = None) -> bytes:
        """Run a Nix command that must succeed; stdout as bytes."""
        done = self._run(args, store_dir, input)
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        return done.stdout

    def fail(self, args: list[str], store_dir: str | None = None) -> str:
        """Run a Nix command that must fail; its stderr."""
        done = self._run(args, store_dir, None)
        assert done.returncode != 0, done.stdout.decode()
        return done.stderr.decode(errors="replace")

    def eval_json(self, expr: str, store_dir: str | None = None) -> Any:
        """Evaluate ``expr`` strictly in read-only mode and decode the JSON."""
        return json.loads(self.run(self.eval_args(expr), store_dir))

    def eval_error(self, expr: str, store_dir: str | None = None) -> str:
        """The error Nix reports for ``expr``."""
        return self.fail(self.eval_args(expr), store_dir)

    @staticmethod
    def eval_args(expr: str) -> list[str]:
        return ["nix-instantiate", "--eval", "--readonly-mode", "--strict", "--json", "-E", expr]

    def instantiate(self, expr: str, root: Path) -> list[str]:
        """Instantiate the derivations ``expr`` yields into a chroot store under ``root``; their ``.drv`` paths.

        Nix prints ``<drv>!<output>`` for a derivation whose first output is not ``out``.
        """
        out = self.run(["nix-instantiate", "--store", str(root), "-E", expr])
        return [line.partition("!")[0] for line in out.decode().split()]

    def _run(self, args: list[str], store_dir: str | None, input: bytes | None) -> subprocess.CompletedProcess[bytes]:
        env = dict(os.environ)
        if store_dir is not None:
            env["NIX_STORE_DIR"] = store_dir
        return subprocess.run(args, input=input, capture_output=True, env=env, cwd=self.workdir, timeout=120)
