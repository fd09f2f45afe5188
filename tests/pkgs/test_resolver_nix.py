"""``--pkgs nix``: real Nix 2.8 instantiates and builds packages from a (tiny, fake) nixpkgs on the search path.

Debian's nix-bin builds as root here with its single-user store and
``sandbox = false``; the tests really build into ``/nix/store``.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from nixproc_disnix.errors import BuildError, EvalError, ThrownError
from nixproc_disnix.store.store import Store
from resolver_sessions import PkgsSession

FAKE_NIXPKGS = """
{ system ? builtins.currentSystem, ... }:
let
  script = name: text: derivation {
    inherit name system;
    builder = "/bin/sh";
    args = [ "-c" text ];
  };
in {
  hello = script "hello" "echo 'hi from @TOKEN@' > $out";
  tools = { greet = script "greet" "echo greet > $out"; };
  broken = script "broken" "echo '@TOKEN@ fails'; exit 3";
  version = "1.0";
}
"""


@pytest.fixture
def nixpkgs(nix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A nixpkgs whose packages are new to the store in every test run (the token is the test's directory)."""
    monkeypatch.setenv("NIX_CONFIG", "substituters =")
    root = tmp_path / "nixpkgs"
    root.mkdir()
    (root / "default.nix").write_text(FAKE_NIXPKGS.replace("@TOKEN@", str(tmp_path)))
    return root


def session(nixpkgs: Path, store: Store | None = None) -> PkgsSession:
    return PkgsSession("nix", store, search_path=[("nixpkgs", str(nixpkgs))])


def test_a_package_is_built_by_nix_into_its_store(nixpkgs: Path, tmp_path: Path) -> None:
    pkgs = session(nixpkgs)
    out = pkgs.value("pkgs.hello.outPath")
    assert out.startswith("/nix/store/") and out.endswith("-hello")
    assert Path(out).read_text() == f"hi from {tmp_path}\n"
    assert pkgs.json("{ inherit (pkgs.hello) type name outputName; drv = pkgs.lib.hasSuffix \".drv\" pkgs.hello.drvPath; }") \
        == {"type": "derivation", "name": "hello", "outputName": "out", "drv": True}


def test_sets_of_packages_and_their_missing_names(nixpkgs: Path) -> None:
    pkgs = session(nixpkgs)
    assert Path(pkgs.value("pkgs.tools.greet.outPath")).read_text() == "greet\n"
    with pytest.raises(EvalError, match=rf"^pkgs.tools.nothing is not in nixpkgs \({nixpkgs}\)$"):
        pkgs.value("pkgs.tools.nothing")
    with pytest.raises(EvalError, match=r"^pkgs.nothing is not in nixpkgs"):
        pkgs.value("pkgs.nothing")


def test_our_lib_and_build_support_use_nix_built_packages(nixpkgs: Path, tmp_path: Path, store: Store) -> None:
    out = session(nixpkgs, store).build('pkgs.writeText "uses-hello" (pkgs.lib.fileContents pkgs.hello)')
    assert out.read_text() == f"hi from {tmp_path}"


def test_a_failed_build_and_a_non_package_are_errors_when_used(nixpkgs: Path) -> None:
    pkgs = session(nixpkgs)
    assert pkgs.value("pkgs ? broken") is True
    with pytest.raises(BuildError, match=r"(?s)building pkgs.broken with nix-store failed:.*fails"):
        pkgs.value("pkgs.broken.outPath")
    with pytest.raises(ThrownError, match="pkgs.version in nixpkgs is a string, but --pkgs nix passes on only"):
        pkgs.value("pkgs.version")


def test_without_nixpkgs_or_nix_attaching_fails_clearly(nixpkgs: Path, monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    with pytest.raises(EvalError, match=r"^--pkgs nix needs nixpkgs, but <nixpkgs> is not on the search path "
                                        r"\(add it with -I nixpkgs=PATH or NIX_PATH\)$"):
        PkgsSession("nix")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EvalError, match="^--pkgs nix needs Nix, but nix-instantiate and nix-store cannot be found on PATH$"):
        session(nixpkgs)
