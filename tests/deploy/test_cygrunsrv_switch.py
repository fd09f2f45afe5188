"""nixproc-cygrunsrv-switch against a STAND-IN cygrunsrv: install/start and stop/remove order, rollback, exact arguments.

cygrunsrv is Windows'. The real parts are the build of the models, the
switch engine and the parameters files. ``cygrunsrv`` is the stand-in of
:mod:`stand_in_managers`, its calls recorded by :mod:`recording_stand_in`:
it checks that the install arguments are options each followed by exactly
one value argument, refuses to install twice, to remove a running service
or to touch one that is not installed, and remembers each service's
arguments and state; nothing is really started.
"""
from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from recording_stand_in import StandIns
from webapps_deployment import WebappsDeployment

from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import read_profile

SERVICE1, SERVICE2 = "nix-process-webapp1", "nix-process-webapp2"

HOSTILE = [
    "it's", '"double" quotes', "\\'", "'\\''", "$HOME ${HOME} $(touch pwned) `touch pwned`", "spaces  and\ttab ",
    " leading space", "back\\slash\\", "semi; colon && pipe | amp & > redirect ;comment #hash", "*glob? [x] ~tilde !bang",
    "carriage\rreturn", "--path", "-n", "", "ünïcødé ☃",
]
"""Values that break a command line, ``xargs`` or a shell word if passed carelessly (a line break is refused by the generator)."""

HOSTILE_MODEL = """
{ pkgs, stateDir ? "/var", runtimeDir ? "${stateDir}/run", logDir ? "${stateDir}/log",
  tmpDir ? "${stateDir}/tmp", forceDisableUserChange ? false, processManager }:
let
  createManagedProcess = import <nix-processmgmt/nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    inherit pkgs runtimeDir logDir tmpDir stateDir forceDisableUserChange processManager;
  };
  hostile = builtins.fromJSON (builtins.readFile ./hostile.json);
in {
  hostile.pkg = createManagedProcess {
    name = "hostile";
    foregroundProcess = "${pkgs.python3}/bin/python3";
    foregroundProcessArgs = hostile.args;
    environment = hostile.environment;
  };
}
"""


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cygrunsrv-switch") / "store"


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StandIns:
    return StandIns.on_path(tmp_path, monkeypatch, "stand_in_managers", "cygrunsrv")


@pytest.fixture
def deployment(tmp_path: Path, store_dir: Path, stand_in: StandIns) -> Iterator[WebappsDeployment]:
    yield WebappsDeployment(tmp_path, store_dir, "cygrunsrv")


def changing_calls(stand_in: StandIns, since: int = 0) -> list[list[str]]:
    """``--install SERVICE`` (arguments left out), ``--start``, ``--stop``, ``--remove`` (``--query`` only asks)."""
    return [call[1:3] for call in stand_in.calls()[since:] if call[1] != "--query"]


def services(stand_in: StandIns) -> dict[str, Any]:
    with stand_in.state() as state:
        return dict(state["cygrunsrv"].get("services", {}))


def params_lines(deployment: WebappsDeployment, name: str) -> list[str]:
    out = Path(read_profile(str(deployment.profile)).processes[name].out_path)
    return (out / f"{name}-cygrunsrvparams").read_bytes().decode().split("\n")[:-1]


def test_first_switch_installs_and_starts_dependencies_first_and_a_second_does_nothing(
    deployment: WebappsDeployment, stand_in: StandIns
) -> None:
    plan = deployment.switch()
    assert [[process.name for process in level] for level in plan.start] == [[SERVICE1], [SERVICE2]]
    assert changing_calls(stand_in) == [
        ["--install", SERVICE1], ["--start", SERVICE1], ["--install", SERVICE2], ["--start", SERVICE2],
    ]
    installed = services(stand_in)
    for service in (SERVICE1, SERVICE2):
        assert installed[service] == {"argv": params_lines(deployment, service), "state": "Running"}
    assert installed[SERVICE2]["argv"][-2:] == ["--dep", SERVICE1]

    done = len(stand_in.calls())
    assert deployment.switch().is_empty and stand_in.calls()[done:] == []
    assert deployment.generations() == [(1, True)]


def test_a_changed_instance_is_reinstalled_alone(deployment: WebappsDeployment, stand_in: StandIns) -> None:
    deployment.switch()
    done = len(stand_in.calls())
    port = deployment.move("webapp2")
    assert deployment.switch().restart == (SERVICE2,)
    assert changing_calls(stand_in, done) == [
        ["--stop", SERVICE2], ["--remove", SERVICE2], ["--install", SERVICE2], ["--start", SERVICE2],
    ]
    assert f"'PORT={port}'" in services(stand_in)[SERVICE2]["argv"]
    assert deployment.generations() == [(1, False), (2, True)]


def test_a_failing_start_removes_the_new_service_and_reinstalls_the_old(
    deployment: WebappsDeployment, stand_in: StandIns
) -> None:
    deployment.switch()
    before = services(stand_in)
    done = len(stand_in.calls())
    port = deployment.move("webapp2")
    with stand_in.state() as state:
        state["cygrunsrv"]["fail"] = f"'PORT={port}'"
    with pytest.raises(DeployError) as error:
        deployment.switch()
    assert error.value.message == (
        f"cannot start {SERVICE2}: cygrunsrv --start {SERVICE2} exited with status 1; rolled back to the previous deployment"
    )
    assert changing_calls(stand_in, done) == [
        ["--stop", SERVICE2], ["--remove", SERVICE2], ["--install", SERVICE2], ["--start", SERVICE2],
        ["--remove", SERVICE2], ["--install", SERVICE2], ["--start", SERVICE2],
    ]
    assert services(stand_in) == before and deployment.generations() == [(1, True)]


def test_undeploy_stops_and_removes_dependents_first(deployment: WebappsDeployment, stand_in: StandIns) -> None:
    deployment.switch()
    done = len(stand_in.calls())
    deployment.switch(undeploy=True)
    assert changing_calls(stand_in, done) == [
        ["--stop", SERVICE2], ["--remove", SERVICE2], ["--stop", SERVICE1], ["--remove", SERVICE1],
    ]
    assert services(stand_in) == {} and deployment.generations() == [(1, False), (2, True)]


def test_every_parameters_line_arrives_as_one_argument_byte_for_byte(
    deployment: WebappsDeployment, stand_in: StandIns, tmp_path: Path
) -> None:
    deployment.model.write_text(HOSTILE_MODEL)
    environment = {f"HOSTILE_{index}": value for index, value in enumerate(HOSTILE)}
    (deployment.model.parent / "hostile.json").write_text(json.dumps({"args": HOSTILE, "environment": environment}))
    deployment.switch()

    service = "nix-process-hostile"
    lines = params_lines(deployment, service)
    install = next(call for call in stand_in.calls() if call[1] == "--install")
    assert install == ["cygrunsrv", "--install", service, *lines]
    values = dict(zip(lines[::2], lines[1::2]))
    assert shlex.split(values["--args"]) == HOSTILE
    written = [value for option, value in zip(lines, lines[1:]) if option == "--env"]
    for name, value in environment.items():
        assert "'" + f"{name}={value}".replace("'", "\\'") + "'" in written
    assert services(stand_in)[service]["state"] == "Running"
    assert not list(tmp_path.rglob("pwned"))
