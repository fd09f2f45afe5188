"""Python-provided Nix files: ``import`` of the path yields the provided value."""
from __future__ import annotations

from pathlib import Path

from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.compiler.eval.native import native_functions, provide


def test_import_of_a_provided_file_yields_python_functions(tmp_path: Path) -> None:
    marker = tmp_path / "native.nix"
    marker.write_text('throw "only nixproc can evaluate this file"\n')
    ev = Evaluator()
    provide(ev, str(tmp_path / "." / "native.nix"), native_functions(
        "test", {"twice": (1, lambda ev, pos, x: 2 * ev.force(x))}
    ))
    assert ev.eval_string(f"(import {marker}).twice 21") == 42


def test_without_provide_the_marker_file_is_plain_nix(tmp_path: Path) -> None:
    marker = tmp_path / "native.nix"
    marker.write_text("41 + 1\n")
    assert Evaluator().eval_string(f"import {marker}") == 42
