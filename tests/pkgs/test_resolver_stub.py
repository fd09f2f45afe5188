"""``--pkgs stub``: placeholder packages with deterministic store paths; nothing of the host is looked at."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from nixproc_disnix.errors import EvalError
from nixproc_disnix.store.store import Store
from resolver_sessions import PkgsSession, write_table


@pytest.fixture(autouse=True)
def empty_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """No host programs at all (the standard directories are still searched by host, never by stub)."""
    monkeypatch.setenv("PATH", "")


def test_packages_are_placeholders_usable_in_strings() -> None:
    stub = PkgsSession("stub")
    command = stub.value('"${pkgs.nginx}/bin/nginx -c ${pkgs.python3Packages.supervisor}/etc"')
    assert re.fullmatch(r"/nix/store/[0-9a-df-np-sv-z]{32}-nginx/bin/nginx -c "
                        r"/nix/store/[0-9a-df-np-sv-z]{32}-supervisor/etc", command)
    assert stub.json("""{
      inherit (pkgs.nginx) type name outputName outputs;
      isDerivation = pkgs.lib.isDerivation pkgs.nginx;
      outIsSelf = pkgs.nginx.out.outPath == pkgs.nginx.outPath;
    }""") == {"type": "derivation", "name": "nginx", "outputName": "out", "outputs": ["out"],
              "isDerivation": True, "outIsSelf": True}
    assert stub.value("pkgs.nginx.drvPath").endswith("-nginx.drv")


def test_paths_depend_only_on_the_attribute_path_and_store(monkeypatch: pytest.MonkeyPatch, store: Store) -> None:
    first = PkgsSession("stub").value("pkgs.postgresql.outPath")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert PkgsSession("stub").value("pkgs.postgresql.outPath") == first
    assert PkgsSession("stub").value("pkgs.mysql.outPath") == PkgsSession("stub").value("pkgs.mariadb.outPath")
    other = PkgsSession("stub", store).value("pkgs.postgresql.outPath")
    assert other.startswith(f"{store.store_dir}/") and other.endswith("-postgresql") and other != first


def test_packages_the_host_lacks_are_still_stubs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = write_table(tmp_path / "t.json", {"packages": {"ghost": {"bin": ["no-such-program"]}}})
    monkeypatch.setenv("NIXPROC_HOST_PACKAGES", str(table))
    assert PkgsSession("stub").value("pkgs.ghost.outPath").endswith("-ghost")


def test_unknown_names_are_errors_too() -> None:
    with pytest.raises(EvalError, match="^pkgs.frobnicator is not in the host package table"):
        PkgsSession("stub").value("pkgs.frobnicator")


def test_trivial_builders_instantiate_and_build_around_stubs(store: Store) -> None:
    stub = PkgsSession("stub", store)
    out = stub.build('pkgs.writeText "nginx.conf" "include ${pkgs.nginx}/conf/mime.types;"')
    assert out.read_text() == f"include {stub.value('pkgs.nginx.outPath')}/conf/mime.types;"
