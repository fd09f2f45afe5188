"""nixproc-systemd-switch against a STAND-IN systemctl: links, daemon-reload, start/stop order, rollback, --user.

systemd cannot run as PID 1 here. The real parts are the build of the
webapps model, the switch engine, the links in the target directory and
their check by the real ``systemd-analyze verify`` (units found through
``SYSTEMD_UNIT_PATH`` = the target directory). ``systemctl`` is the
stand-in of :mod:`stand_in_managers`, its calls recorded by
:mod:`recording_stand_in`: it loads units from the target directory on
``daemon-reload`` only, refuses to start a unit it has not loaded or that
changed on disk since, and remembers which are active; nothing is really
started.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from recording_stand_in import StandIns
from webapps_deployment import WebappsDeployment

from nixproc_disnix.backends.common.switcher import SwitchContext
from nixproc_disnix.backends.systemd.switch import switcher
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import DeployedProcess, read_profile
from nixproc_disnix.model.state_dirs import StateDirs

WEBAPP1, WEBAPP2 = "nix-process-webapp1.service", "nix-process-webapp2.service"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("systemd-switch") / "store"


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StandIns:
    """The stand-in systemctl first on PATH, loading units from the target directory in the test's directory."""
    stand_ins = StandIns.on_path(tmp_path, monkeypatch, "stand_in_managers", "systemctl")
    monkeypatch.setenv("SYSTEMD_TARGET_DIR", str(tmp_path / "target"))
    with stand_ins.state() as state:
        state["systemctl"] = {"unit_path": str(tmp_path / "target")}
    return stand_ins


@pytest.fixture
def deployment(tmp_path: Path, store_dir: Path, stand_in: StandIns) -> Iterator[WebappsDeployment]:
    yield WebappsDeployment(tmp_path, store_dir, "systemd")


def systemctl_calls(stand_in: StandIns) -> list[list[str]]:
    """The calls that change something (``is-active`` only asks)."""
    return [call[1:] for call in stand_in.calls("systemctl") if "is-active" not in call]


def active(stand_in: StandIns, scope: str = "system") -> dict[str, str]:
    with stand_in.state() as state:
        return dict(state["systemctl"].get(scope, {}).get("active", {}))


def out_of(deployment: WebappsDeployment, name: str) -> str:
    return read_profile(str(deployment.profile)).processes[name].out_path


def linked(target: Path) -> dict[str, str]:
    return {entry.name: os.readlink(entry) for entry in sorted(target.iterdir())}


def verify(target: Path, unit: str) -> None:
    """The real ``systemd-analyze verify`` loads the linked unit, and its dependencies, without a complaint."""
    analyze = shutil.which("systemd-analyze")
    assert analyze is not None, "systemd-analyze is required (Debian: systemd)"
    result = subprocess.run([analyze, "verify", "--man=no", str(target / unit)], capture_output=True, text=True,
                            env={**os.environ, "SYSTEMD_UNIT_PATH": f"{target}:"}, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_first_switch_links_reloads_and_starts_dependencies_first_and_a_second_does_nothing(
    deployment: WebappsDeployment, stand_in: StandIns, tmp_path: Path
) -> None:
    plan = deployment.switch()
    assert [[process.name for process in level] for level in plan.start] == [
        ["nix-process-webapp1"], ["nix-process-webapp2"],
    ]
    target = tmp_path / "target"
    units = os.path.join("etc", "systemd", "system")
    first, second = out_of(deployment, "nix-process-webapp1"), out_of(deployment, "nix-process-webapp2")
    assert linked(target) == {
        WEBAPP1: os.path.join(first, units, WEBAPP1),
        WEBAPP2: os.path.join(second, units, WEBAPP2),
        f"{WEBAPP2}.wants": os.path.join(second, units, f"{WEBAPP2}.wants"),
    }
    for unit in (WEBAPP1, WEBAPP2):
        verify(target, unit)
    assert systemctl_calls(stand_in) == [["daemon-reload"], ["start", WEBAPP1], ["start", WEBAPP2]]
    assert ["systemctl", "is-active", WEBAPP2] in stand_in.calls()
    assert active(stand_in) == {WEBAPP1: "active", WEBAPP2: "active"}
    assert deployment.generations() == [(1, True)]

    done = len(stand_in.calls())
    again = deployment.switch()
    assert again.is_empty and stand_in.calls()[done:] == []
    assert deployment.generations() == [(1, True)]


def test_a_changed_instance_is_stopped_relinked_and_started_alone(
    deployment: WebappsDeployment, stand_in: StandIns, tmp_path: Path
) -> None:
    deployment.switch()
    first, old_second = out_of(deployment, "nix-process-webapp1"), out_of(deployment, "nix-process-webapp2")
    done = len(systemctl_calls(stand_in))
    deployment.move("webapp2")
    plan = deployment.switch()
    assert plan.restart == ("nix-process-webapp2",) and plan.unchanged == ("nix-process-webapp1",)
    assert systemctl_calls(stand_in)[done:] == [
        ["stop", WEBAPP2], ["daemon-reload"], ["start", WEBAPP2],
    ]
    links = linked(tmp_path / "target")
    new_second = out_of(deployment, "nix-process-webapp2")
    assert new_second != old_second and links[WEBAPP2].startswith(new_second + "/")
    assert links[WEBAPP1].startswith(first + "/")
    verify(tmp_path / "target", WEBAPP2)
    assert deployment.generations() == [(1, False), (2, True)]


def test_a_failing_start_relinks_and_restarts_the_previous_units(
    deployment: WebappsDeployment, stand_in: StandIns, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment.switch()
    before = linked(tmp_path / "target")
    done = len(systemctl_calls(stand_in))
    port = deployment.move("webapp2")
    with stand_in.state() as state:
        state["systemctl"]["fail"] = f"PORT={port}"
    with pytest.raises(DeployError) as error:
        deployment.switch()
    assert error.value.message == (
        f"cannot start nix-process-webapp2: systemctl start {WEBAPP2} exited with status 1; "
        "rolled back to the previous deployment"
    )
    assert systemctl_calls(stand_in)[done:] == [
        ["stop", WEBAPP2], ["daemon-reload"], ["start", WEBAPP2],
        ["stop", WEBAPP2], ["daemon-reload"], ["start", WEBAPP2],
    ]
    assert linked(tmp_path / "target") == before
    assert active(stand_in) == {WEBAPP1: "active", WEBAPP2: "active"}
    assert deployment.generations() == [(1, True)]


def test_undeploy_stops_dependents_first_and_removes_every_link(
    deployment: WebappsDeployment, stand_in: StandIns, tmp_path: Path
) -> None:
    deployment.switch()
    done = len(systemctl_calls(stand_in))
    plan = deployment.switch(undeploy=True)
    assert [[process.name for process in level] for level in plan.stop] == [
        ["nix-process-webapp2"], ["nix-process-webapp1"],
    ]
    assert systemctl_calls(stand_in)[done:] == [["stop", WEBAPP2], ["stop", WEBAPP1], ["daemon-reload"]]
    assert list((tmp_path / "target").iterdir()) == []
    assert active(stand_in) == {WEBAPP1: "inactive", WEBAPP2: "inactive"}
    assert deployment.generations() == [(1, False), (2, True)]


def test_user_units_go_to_the_users_config_through_the_command_line(
    deployment: WebappsDeployment, stand_in: StandIns, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    units = home / ".config" / "systemd" / "user"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("SYSTEMD_TARGET_DIR")
    with stand_in.state() as state:
        state["systemctl"]["unit_path"] = str(units)

    deployed = deployment.cli("--user", str(deployment.model))
    assert deployed.exit_code == 0, deployed.output
    assert sorted(entry.name for entry in units.iterdir()) == [WEBAPP1, WEBAPP2, f"{WEBAPP2}.wants"]
    assert all(call[1] == "--user" for call in stand_in.calls("systemctl"))
    assert active(stand_in, "user") == {WEBAPP1: "active", WEBAPP2: "active"} and active(stand_in) == {}

    undeployed = deployment.cli("--user", "--undeploy")
    assert undeployed.exit_code == 0, undeployed.output
    assert list(units.iterdir()) == [] and active(stand_in, "user") == {WEBAPP1: "inactive", WEBAPP2: "inactive"}


def test_a_unit_file_it_did_not_link_is_left_alone_and_nothing_starts(
    deployment: WebappsDeployment, stand_in: StandIns, tmp_path: Path
) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / WEBAPP1).write_text("[Unit]\nDescription=the administrator's own\n")
    with pytest.raises(DeployError, match=f"^cannot link {target / WEBAPP1}: it exists and is not a symbolic link; "):
        deployment.switch()
    assert [entry.name for entry in target.iterdir()] == [WEBAPP1]
    assert (target / WEBAPP1).read_text() == "[Unit]\nDescription=the administrator's own\n"
    assert systemctl_calls(stand_in) == [] and deployment.generations() == []


def test_stopping_a_unit_systemd_does_not_know_succeeds(stand_in: StandIns, tmp_path: Path) -> None:
    """``systemctl stop`` exits 5 for a unit without a file (e.g. its link was removed by hand): it does not run."""
    out = tmp_path / "out"
    (out / "etc" / "systemd" / "system").mkdir(parents=True)
    (out / "etc" / "systemd" / "system" / "nix-process-gone.service").write_text("[Service]\nExecStart=/bin/true\n")
    process = DeployedProcess(name="nix-process-gone", process_manager="systemd", out_path=str(out))
    switcher(SwitchContext(StateDirs(), print)).stop(process)
    assert systemctl_calls(stand_in) == [["stop", "nix-process-gone.service"]]
