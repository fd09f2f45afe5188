"""nixproc-launchd-switch against a STAND-IN launchctl: plist copies, load/start and stop/unload order, rollback.

launchd is macOS's. The real parts are the build of the webapps model, the
switch engine and the copies in the target directory, which
:mod:`plistlib` reads back. ``launchctl`` is the stand-in of
:mod:`stand_in_managers`, its calls recorded by :mod:`recording_stand_in`:
it loads the copies with plistlib, refuses a symbolic link, a second load or an unload of what it does not know, and
remembers loaded jobs and which run (with a made-up PID); nothing is
really started.
"""
from __future__ import annotations

import os
import plistlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from recording_stand_in import StandIns
from webapps_deployment import WebappsDeployment

from nixproc_disnix.deploy.switch import SwitchOptions, switch
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import read_profile
from nixproc_disnix.store.store import open_store

LABEL1, LABEL2 = "org.nixos.webapp1", "org.nixos.webapp2"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("launchd-switch") / "store"


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StandIns:
    stand_ins = StandIns.on_path(tmp_path, monkeypatch, "stand_in_managers", "launchctl")
    monkeypatch.setenv("LAUNCHD_TARGET_DIR", str(tmp_path / "LaunchDaemons"))
    return stand_ins


@pytest.fixture
def deployment(tmp_path: Path, store_dir: Path, stand_in: StandIns) -> Iterator[WebappsDeployment]:
    yield WebappsDeployment(tmp_path, store_dir, "launchd")


def launchctl_calls(stand_in: StandIns, since: int = 0) -> list[list[str]]:
    """The calls that change something (``list`` only asks)."""
    return [call[1:] for call in stand_in.calls("launchctl")[since:] if call[1] != "list"]


def launchd_state(stand_in: StandIns) -> dict[str, Any]:
    with stand_in.state() as state:
        return dict(state["launchctl"])


def running(stand_in: StandIns) -> set[str]:
    return set(launchd_state(stand_in).get("running", {}))


def copies(target: Path) -> dict[str, bytes]:
    return {entry.name: entry.read_bytes() for entry in sorted(target.iterdir())}


def plist_of(deployment: WebappsDeployment, name: str) -> bytes:
    out = read_profile(str(deployment.profile)).processes[name].out_path
    return (Path(out) / "Library" / "LaunchDaemons" / f"org.nixos.{name}.plist").read_bytes()


def test_first_switch_copies_loads_and_starts_dependencies_first_and_a_second_does_nothing(
    deployment: WebappsDeployment, stand_in: StandIns, tmp_path: Path
) -> None:
    plan = deployment.switch()
    assert [[process.name for process in level] for level in plan.start] == [["webapp1"], ["webapp2"]]
    target = tmp_path / "LaunchDaemons"
    assert copies(target) == {f"{LABEL1}.plist": plist_of(deployment, "webapp1"),
                              f"{LABEL2}.plist": plist_of(deployment, "webapp2")}
    for label, name in ((LABEL1, "webapp1"), (LABEL2, "webapp2")):
        copy = target / f"{label}.plist"
        assert not copy.is_symlink() and copy.stat().st_mode & 0o022 == 0
        job = plistlib.loads(copy.read_bytes())
        assert job["Label"] == label and job["EnvironmentVariables"]["PORT"] == str(deployment.ports[name])
    assert launchctl_calls(stand_in) == [
        ["load", "-w", str(target / f"{LABEL1}.plist")], ["start", LABEL1],
        ["load", "-w", str(target / f"{LABEL2}.plist")], ["start", LABEL2],
    ]
    assert running(stand_in) == {LABEL1, LABEL2}

    done = len(stand_in.calls())
    assert deployment.switch().is_empty and stand_in.calls()[done:] == []
    assert deployment.generations() == [(1, True)]


def test_a_changed_instance_is_stopped_unloaded_recopied_and_started_alone(
    deployment: WebappsDeployment, stand_in: StandIns, tmp_path: Path
) -> None:
    deployment.switch()
    done = len(stand_in.calls())
    first = (tmp_path / "LaunchDaemons" / f"{LABEL1}.plist").stat()
    deployment.move("webapp2")
    plan = deployment.switch()
    assert plan.restart == ("webapp2",)
    copy = str(tmp_path / "LaunchDaemons" / f"{LABEL2}.plist")
    assert launchctl_calls(stand_in, done) == [
        ["stop", LABEL2], ["unload", copy], ["load", "-w", copy], ["start", LABEL2],
    ]
    assert Path(copy).read_bytes() == plist_of(deployment, "webapp2")
    assert (tmp_path / "LaunchDaemons" / f"{LABEL1}.plist").stat().st_mtime_ns == first.st_mtime_ns
    assert running(stand_in) == {LABEL1, LABEL2}


def test_a_job_that_does_not_run_rolls_back_to_the_previous_plist(
    deployment: WebappsDeployment, stand_in: StandIns, tmp_path: Path
) -> None:
    deployment.switch()
    before = copies(tmp_path / "LaunchDaemons")
    port = deployment.move("webapp2")
    with stand_in.state() as state:
        state["launchctl"]["fail"] = f"<string>{port}</string>"
    options = SwitchOptions("launchd", str(deployment.profile), state_dirs=deployment.state_dirs(), start_timeout=0.5)
    with pytest.raises(DeployError) as error, open_store(str(deployment.store_dir)) as store:
        switch(store, options, deployment.request(), deployment.lines.append)
    assert error.value.message == "webapp2 was started but is not running; rolled back to the previous deployment"
    assert copies(tmp_path / "LaunchDaemons") == before
    assert running(stand_in) == {LABEL1, LABEL2}
    assert deployment.generations() == [(1, True)]


def test_undeploy_through_the_command_line_stops_unloads_and_removes_every_copy(
    deployment: WebappsDeployment, stand_in: StandIns, tmp_path: Path
) -> None:
    assert deployment.cli(str(deployment.model)).exit_code == 0
    done = len(stand_in.calls())
    undeployed = deployment.cli("--undeploy")
    assert undeployed.exit_code == 0, undeployed.output
    target = tmp_path / "LaunchDaemons"
    assert launchctl_calls(stand_in, done) == [
        ["stop", LABEL2], ["unload", str(target / f"{LABEL2}.plist")],
        ["stop", LABEL1], ["unload", str(target / f"{LABEL1}.plist")],
    ]
    assert list(target.iterdir()) == [] and running(stand_in) == set()
    assert launchd_state(stand_in)["loaded"] == {}
    assert os.path.islink(deployment.profile) and deployment.generations() == [(1, False), (2, True)]
