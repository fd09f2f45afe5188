"""Reading a profile: processes by output path, dependencies by name, accounts."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import DeployedProfile, read_profile


def output(store: Path, name: str, dependencies: list[Path]) -> Path:
    out = store / f"hash-{name}"
    (out / "nix-support/nixproc").mkdir(parents=True)
    info = {"name": name, "processManager": "sysvinit", "dependencies": [str(d) for d in dependencies]}
    (out / f"nix-support/nixproc/{name}.json").write_text(json.dumps(info))
    return out


def test_processes_dependencies_and_accounts(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = output(store, "first", [])
    second = output(store, "second", [first, store / "hash-elsewhere"])
    profile = store / "hash-profile"
    (profile / "nix-support/nixproc").mkdir(parents=True)
    for out in (first, second):
        name = out.name.removeprefix("hash-")
        os.symlink(out / f"nix-support/nixproc/{name}.json", profile / f"nix-support/nixproc/{name}.json")
    (profile / "dysnomia-support/users").mkdir(parents=True)
    (profile / "dysnomia-support/users/second").write_text("group='second'\n\n")
    link = tmp_path / "processes-1-link"
    link.symlink_to(profile)

    deployed = read_profile(str(link))
    assert deployed.path == str(profile)
    assert deployed.processes["first"].out_path == str(first) and deployed.processes["first"].dependencies == ()
    assert deployed.processes["second"].dependencies == ("first",), "a dependency outside the profile is not ordered"
    assert deployed.users["second"].get("group") == "second" and deployed.groups == {}


def test_nothing_deployed(tmp_path: Path) -> None:
    assert read_profile(None) == DeployedProfile()
    assert read_profile(str(tmp_path / "missing")) == DeployedProfile()
    assert read_profile(str(tmp_path)).processes == {}


def test_unreadable_process_info(tmp_path: Path) -> None:
    (tmp_path / "nix-support/nixproc").mkdir(parents=True)
    (tmp_path / "nix-support/nixproc/x.json").write_text("{}")
    with pytest.raises(DeployError, match="cannot read 'x.json'"):
        read_profile(str(tmp_path))
