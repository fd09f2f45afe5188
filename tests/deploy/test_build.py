"""nixproc-build: a processes model to a built profile in our store."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nixproc_disnix.deploy.build import BuildRequest, build_profile, profile_derivation
from nixproc_disnix.errors import EvalError
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store.store import Store

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures/webapps/processes.nix"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(str(tmp_path / "root")) as opened:
        yield opened


def test_sysvinit_profile_of_the_example(store: Store) -> None:
    profile = Path(build_profile(store, BuildRequest("sysvinit", str(EXAMPLE))))
    scripts = sorted(os.listdir(profile / "etc/rc.d/init.d"))
    assert scripts == ["webapp1", "webapp2"]
    assert sorted(os.listdir(profile / "etc/rc.d/rc3.d")) == ["S00webapp1", "S01webapp2"]
    script = (profile / "etc/rc.d/init.d/webapp2").read_text()
    python = next(word for word in script.split() if word.endswith("/bin/python3'") or word.endswith("/bin/python3"))
    assert python.strip("'").startswith(store.store_dir)
    assert os.access(python.strip("'"), os.X_OK), "the host package was built and links python3"
    assert sorted(os.listdir(profile / "dysnomia-support/users")) == ["webapp1", "webapp2"]
    infos = {path.stem: json.loads(path.read_text()) for path in (profile / "nix-support/nixproc").iterdir()}
    assert infos["webapp2"]["dependencies"] == [os.path.realpath(profile / "etc/rc.d/init.d/webapp1").rsplit("/etc/", 1)[0]]
    assert infos["webapp1"] == {"name": "webapp1", "processManager": "sysvinit", "dependencies": []}
    # The profile keeps what its processes need: generated outputs, python, the webapp's source.
    closure = store.closure([str(profile)])
    assert any(path.endswith("-python3") for path in closure) and any(path.endswith("-webapp.py") for path in closure)


def test_rebuilding_an_unchanged_model_builds_nothing(store: Store) -> None:
    request = BuildRequest("sysvinit", str(EXAMPLE))
    first = build_profile(store, request)
    logs_before = sorted(os.listdir(store.log_dir))
    mtimes = {path: os.stat(os.path.join(store.log_dir, path)).st_mtime_ns for path in logs_before}
    assert build_profile(store, request) == first
    assert sorted(os.listdir(store.log_dir)) == logs_before
    assert {path: os.stat(os.path.join(store.log_dir, path)).st_mtime_ns for path in logs_before} == mtimes


def test_given_directories_reach_the_model_and_others_keep_its_defaults(store: Store) -> None:
    request = BuildRequest("sysvinit", str(EXAMPLE), StateDirs(tmp_dir="/srv/tmp", force_disable_user_change=True))
    profile = Path(build_profile(store, request))
    script = (profile / "etc/rc.d/init.d/webapp1").read_text()
    assert "/srv/tmp/webapp1.pid" in script and " su" not in script
    assert not (profile / "dysnomia-support").exists()


def test_undeploy_is_an_empty_profile(store: Store) -> None:
    assert os.listdir(build_profile(store, BuildRequest("sysvinit", None))) == []


def test_errors(store: Store, tmp_path: Path) -> None:
    with pytest.raises(EvalError, match="does not exist"):
        profile_derivation(store, BuildRequest("sysvinit", str(tmp_path / "missing.nix")))
    broken = tmp_path / "broken.nix"
    broken.write_text("{ processManager }: { a = { pkg = 1 + true; }; }\n")
    with pytest.raises(EvalError) as error:
        build_profile(store, BuildRequest("sysvinit", str(broken)))
    assert "cannot add a Boolean to an integer" in error.value.one_line()
    assert "broken.nix:1:" in error.value.one_line()


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from nixproc_disnix.cli.build import nixproc_build; nixproc_build()"]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True)


def test_cli_prints_the_profile_and_links_it(tmp_path: Path) -> None:
    store_dir = tmp_path / "root" / "store"
    result = run_cli("-P", "sysvinit", "--store-dir", str(store_dir), str(EXAMPLE), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert os.readlink(tmp_path / "result") == result.stdout.strip()
    assert result.stdout.strip().startswith(str(store_dir)) and result.stdout.strip().endswith("-rc.d")
    roots = os.listdir(tmp_path / "root" / "gcroots" / "auto")
    assert [os.readlink(tmp_path / "root" / "gcroots" / "auto" / root) for root in roots] == [str(tmp_path / "result")]


def test_cli_usage_errors(tmp_path: Path) -> None:
    no_manager = run_cli(str(EXAMPLE), cwd=tmp_path)
    assert no_manager.returncode == 1 and "No process manager specified!" in no_manager.stderr
    no_model = run_cli("-P", "sysvinit", cwd=tmp_path)
    assert no_model.returncode == 1 and "No processes expression provided!" in no_model.stderr
