"""Evaluation sessions with a ``pkgs`` resolver attached, for the resolver tests."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.pkgs import attach_pkgs, pkgs_value
from nixproc_disnix.store.builder import build
from nixproc_disnix.store.store import Store


class PkgsSession:
    """One evaluator with ``resolver`` attached; ``expr`` is evaluated as ``pkgs: EXPR`` applied to ``pkgs_value``."""

    def __init__(self, resolver: str, store: Store | None = None, search_path: list[tuple[str, str]] | None = None) -> None:
        self.store = store
        self.ev = Evaluator(search_path=search_path or [], store=store)
        attach_pkgs(self.ev, resolver)

    def value(self, expr: str) -> Any:
        """``expr`` (with ``pkgs`` in scope), deeply forced."""
        function = self.ev.eval_string(f"pkgs: {expr}")
        return self.ev.force_deep(self.ev.call(function, pkgs_value(self.ev)))

    def json(self, expr: str) -> Any:
        return json.loads(str(self.value(f"builtins.toJSON ({expr})")))

    def build(self, expr: str) -> Path:
        """Build the derivation ``expr`` into the session's store; its ``out`` path."""
        assert self.store is not None
        return Path(build(self.store, str(self.value(f"({expr}).drvPath")))["out"])


def write_table(path: Path, table: dict[str, Any]) -> Path:
    """A host package table file (``NIXPROC_HOST_PACKAGES``)."""
    path.write_text(json.dumps(table))
    return path
