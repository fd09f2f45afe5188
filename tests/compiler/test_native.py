"""Python-provided Nix files: ``import`` of the path yields the provided value."""
from __future__ import annotations

from pathlib import Path

import pytest

from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.compiler.eval.native import explain_missing, native_functions, provide
from nixproc_disnix.compiler.eval.values import Attrs
from nixproc_disnix.errors import EvalError


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


def test_explain_missing_replaces_only_the_missing_attribute_error() -> None:
    ev = Evaluator()
    pkgs = explain_missing(ev, Attrs({"here": 1}), lambda name: f"pkgs.{name} is not packaged")
    select = ev.eval_string("set: name: [ set.here (set.${name} or 2) (set ? ${name}) set.${name} ]")
    value = ev.force(ev.call_n(select, [pkgs, "gone"]))
    assert [ev.force(item) for item in value[:3]] == [1, 2, False]
    with pytest.raises(EvalError, match=r"^pkgs.gone is not packaged$"):
        ev.force(value[3])
    with pytest.raises(EvalError, match=r"^attribute 'gone' missing$"):
        ev.eval_string("{ here = 1; }.gone")
