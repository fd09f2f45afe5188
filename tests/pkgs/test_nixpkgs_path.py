"""``<nixpkgs>`` without a nixpkgs: our package set, as models import it, with overlays and callPackage."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.compiler.lib import LIB_DIR
from nixproc_disnix.pkgs import PKGS_DIR, attach_pkgs, attached_resolver, pkgs_value
from resolver_sessions import PkgsSession


def evaluate(expr: str, ev: Evaluator | None = None) -> object:
    ev = ev or Evaluator()
    return ev.force_deep(ev.eval_string(expr))


def test_import_nixpkgs_forms() -> None:
    ev = Evaluator()
    assert evaluate("<nixpkgs>", ev).path == PKGS_DIR
    assert evaluate("(import <nixpkgs> {}).system == builtins.currentSystem", ev) is True
    assert evaluate('(import <nixpkgs> { system = "aarch64-linux"; }).stdenv.isLinux', ev) is True
    assert evaluate('(import <nixpkgs> { system = "x86_64-darwin"; }).stdenv.isLinux', ev) is False
    assert evaluate("(import <nixpkgs> {}).lib.strings.concatStringsSep \"-\" [ \"a\" \"b\" ]", ev) == "a-b"
    assert evaluate("(import <nixpkgs> {}).lib.version == (import <nixpkgs/lib>).version", ev) is True
    assert evaluate("builtins.isFunction (import <nixpkgs> {}).writeTextFile", ev) is True
    assert evaluate("(import <nixpkgs> { config.allowUnfree = true; }).config.allowUnfree", ev) is True
    assert evaluate("let pkgs = import <nixpkgs> {}; in pkgs.pkgs.coreutils.outPath == pkgs.coreutils.outPath", ev)
    assert evaluate("(import <nixpkgs/lib>).id 7", ev) == 7
    assert ev.find_file("nixpkgs/lib") == LIB_DIR


def test_the_default_resolver_is_attached_when_nixpkgs_is_first_resolved() -> None:
    ev = Evaluator()
    assert attached_resolver(ev) is None
    ev.eval_string("(import <nixpkgs/lib>).id")
    assert attached_resolver(ev) is None
    ev.eval_string("import <nixpkgs>")
    assert attached_resolver(ev) == "host"


def test_attaching_again_is_a_no_op_and_another_resolver_is_refused() -> None:
    ev = Evaluator()
    attach_pkgs(ev, "stub")
    attach_pkgs(ev, "stub")
    assert attached_resolver(ev) == "stub"
    with pytest.raises(ValueError, match="the 'stub' pkgs resolver is already attached, cannot attach 'host'"):
        attach_pkgs(ev, "host")
    with pytest.raises(ValueError, match="unknown pkgs resolver 'apt'"):
        attach_pkgs(Evaluator(), "apt")


def test_call_package_fills_arguments_from_pkgs(tmp_path: Path) -> None:
    (tmp_path / "tool.nix").write_text(
        "{ stdenv, coreutils, lib, greeting ? \"hello\" }:\n"
        "{ text = \"${greeting} ${coreutils.name} ${lib.boolToString stdenv.isLinux}\"; }\n"
    )
    stub = PkgsSession("stub")
    assert stub.value(f"(pkgs.callPackage {tmp_path}/tool.nix {{}}).text") == "hello coreutils true"
    assert stub.value(f'(pkgs.callPackage {tmp_path}/tool.nix {{ greeting = "hi"; }}).text') == "hi coreutils true"
    assert stub.value(f'((pkgs.callPackage {tmp_path}/tool.nix {{}}).override {{ greeting = "yo"; }}).text') \
        == "yo coreutils true"


def test_overlays_see_final_and_previous_sets() -> None:
    assert PkgsSession("stub").json("""
      let
        composed = import <nixpkgs> {
          overlays = [
            (final: prev: { greeting = "hello"; coreutils = prev.coreutils // { tagged = true; }; })
            (final: prev: { message = "${prev.greeting} ${final.name}"; greeting = "hi"; name = "world"; })
          ];
        };
      in { inherit (composed) message greeting; tagged = composed.coreutils.tagged;
           python = composed.python3Packages.supervisor.name; }
    """) == {"message": "hello world", "greeting": "hi", "tagged": True, "python": "supervisor"}


def test_overlays_can_add_packages_built_with_build_support() -> None:
    value = PkgsSession("stub").value("""
      let pkgs' = import <nixpkgs> {
        overlays = [ (final: prev: { motd = final.writeText "motd" "built by ${final.coreutils.name}"; }) ];
      }; in pkgs'.motd.name
    """)
    assert value == "motd"


def test_pkgs_value_is_the_package_set_for_a_model() -> None:
    ev = Evaluator()
    attach_pkgs(ev, "stub")
    pkgs = pkgs_value(ev)
    assert {"lib", "stdenv", "writeTextFile", "callPackage", "coreutils", "python3Packages", "system"} <= set(pkgs)
    model = ev.eval_string("{ pkgs, ... }: pkgs.nginx.name")
    assert ev.force(ev.call(model, pkgs)) == "nginx"


def test_a_real_nixpkgs_on_the_search_path_wins(tmp_path: Path) -> None:
    (tmp_path / "nixpkgs").mkdir()
    (tmp_path / "nixpkgs" / "default.nix").write_text("{ ... }: { real = true; }\n")
    ev = Evaluator(search_path=[("nixpkgs", str(tmp_path / "nixpkgs"))])
    assert evaluate("(import <nixpkgs> {}).real", ev) is True
    assert attached_resolver(ev) is None


def test_real_nix_cannot_evaluate_the_provided_file(nix: str) -> None:
    done = subprocess.run([nix, "--eval", "-E", f"import {PKGS_DIR} {{}}"], capture_output=True, text=True)
    assert done.returncode == 1
    assert "resolver.nix is provided by nixproc (--pkgs host|nix|stub)" in done.stderr
