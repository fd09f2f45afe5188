"""The host package table format: entry validation, merging a user's table, name consistency."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from nixproc_disnix.errors import EvalError
from nixproc_disnix.model.host_packages import HostPackage, HostPackageTable, read_host_packages


def table(packages: dict, aliases: dict | None = None) -> HostPackageTable:
    return HostPackageTable.model_validate({"packages": packages, "aliases": aliases or {}})


def test_merging_replaces_whole_entries_and_swaps_packages_and_aliases() -> None:
    shipped = table({"coreutils": {"bin": ["ls", "cat"]}, "gnused": {"bin": ["sed"]}},
                    {"utillinux": "util-linux", "sed": "gnused"})
    merged = shipped.merged(table({"coreutils": {"bin": ["ls"]}, "sed": {"bin": ["gsed"]}},
                                  {"gnused": "coreutils"}))
    assert merged.packages == {"coreutils": HostPackage(bin=["ls"]), "sed": HostPackage(bin=["gsed"])}
    assert merged.aliases == {"utillinux": "util-linux", "gnused": "coreutils"}
    assert merged.problems() == ["alias 'utillinux' names 'util-linux', which is not a package"]


def test_a_name_cannot_be_a_package_and_a_set() -> None:
    assert table({"python3": {}, "python3.pkgs": {}}).problems() == ["'python3' is a package and also a set of packages"]
    assert table({"a": {}}, {"a": "a"}).problems() == ["'a' is both a package and an alias"]


@pytest.mark.parametrize(("entry", "culprit"), [
    ({"bin": ["../ls"]}, "packages.p.bin.0"),
    ({"files": {"conf/../x": ["/etc/x"]}}, "packages.p.files.conf/../x.[key]"),
    ({"files": {"conf": ["etc/x"]}}, "packages.p.files.conf.0"),
    ({"python_modules": ["a.b"]}, "packages.p.python_modules.0"),
    ({"alternatives": {"httpd": ["apache2"]}}, "packages.p"),
    ({"binaries": ["ls"]}, "packages.p.binaries"),
])
def test_bad_entries_are_one_line_errors_naming_the_culprit(tmp_path: Path, entry: dict, culprit: str) -> None:
    path = tmp_path / "table.json"
    path.write_text(json.dumps({"packages": {"p": entry}}))
    with pytest.raises(EvalError) as caught:
        read_host_packages(str(path))
    assert caught.value.message.startswith(f"invalid host package table '{path}': {culprit}: ")
    assert "\n" not in caught.value.message


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(EvalError, match="cannot read host package table '.*absent.json': No such file"):
        read_host_packages(str(tmp_path / "absent.json"))
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(EvalError, match="host package table '.*bad.json' is not JSON"):
        read_host_packages(str(tmp_path / "bad.json"))
