"""nixproc-disnix-env without Disnix, for real: the webapps fixture deployed to this machine with our modules.

Each test copies the fixture with its own free ports, state directory and
coordinator profile. Processes started carry the reaper's marker; teardown
kills them, and every PID named by a PID file under the state directory,
by PID.
"""
from __future__ import annotations

import json
import os
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from harness import Reaper, answers, free_port, http_get, python_program, silent, webapps_model

from nixproc_disnix.cli.disnix_env import nixproc_disnix_env
from nixproc_disnix.disnix import deploy
from nixproc_disnix.disnix.env import DisnixEnvRequest, ProcessesModel, local_disnix_env
from nixproc_disnix.dysnomia.modules.process import running_pid
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.services import Target
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store import profiles
from nixproc_disnix.store.store import Store

pytestmark = pytest.mark.integration


class Deployment:
    """A copy of the fixture with its own ports, deployed from its own state directory and coordinator profile."""

    def __init__(self, root: Path, store: Store, state: Path, reaper: Reaper, process_manager: str | None = None,
                 target_process_manager: str = "sysvinit") -> None:
        self.store = store
        self.state = state
        self.ports = {"webapp1": free_port(), "webapp2": free_port()}
        self.model = webapps_model(root, self.ports)
        self.process_manager = process_manager
        self.target_process_manager = target_process_manager
        self.profiles = root / "profiles"
        self.environment = {**os.environ, **reaper.environment(), "DYSNOMIA_STATEDIR": str(root / "dysnomia")}
        self.lines: list[str] = []

    def set_port(self, name: str, port: int) -> None:
        self.ports[name] = port
        webapps_model(self.model.parent.parent / f"v{port}", self.ports)  # a fresh copy, to leave no stale files
        self.model = self.model.parent.parent / f"v{port}" / "webapps" / "processes.nix"

    def request(self, model: Path | None = None, **fields: object) -> DisnixEnvRequest:
        processes = ProcessesModel(
            path=str(model or self.model), process_manager=self.process_manager,
            target_process_manager=self.target_process_manager,
            state_dirs=StateDirs(state_dir=str(self.state), force_disable_user_change=True),
        )
        return DisnixEnvRequest(processes=processes, coordinator_profile_path=str(self.profiles), **fields)  # type: ignore[arg-type]

    def run(self, model: Path | None = None, **fields: object) -> str:
        return local_disnix_env(self.store, self.request(model, **fields), self.environment, self.lines.append)

    @property
    def profile(self) -> str:
        return str(self.profiles / "default")

    def pid(self, name: str) -> int | None:
        return running_pid(str(self.state / "tmp" / f"{name}.pid"))


@pytest.fixture
def deployment(tmp_path: Path, store: Store, state: Path, reaper: Reaper) -> Deployment:
    return Deployment(tmp_path, store, state, reaper)


def serving(deployment: Deployment) -> bool:
    return all(answers(port, name) for name, port in deployment.ports.items())


def test_deploy_upgrade_one_service_rollback_and_undeploy(deployment: Deployment, reaper: Reaper) -> None:
    assert deployment.run(dry_run=True) == (
        "activate: webapp1 on localhost (managed-process)\nactivate: webapp2 on localhost (managed-process)\n"
    )
    assert not os.path.exists(deployment.profile)  # a dry run records nothing
    deployment.run()
    assert serving(deployment)
    # webapp2 depends on webapp1, so it was activated after it.
    activations = [line for line in deployment.lines if "]: activate" in line]
    assert [line.split()[3] for line in activations] == ["webapp1", "webapp2"]
    first = {name: deployment.pid(name) for name in deployment.ports}

    # The same model again changes nothing.
    assert deployment.run(dry_run=True).endswith("nothing to do\n")
    deployment.run()
    assert {name: deployment.pid(name) for name in deployment.ports} == first
    assert [generation.number for generation in profiles.list_generations(deployment.profile)] == [1]

    # A new port for webapp2 changes its package only: webapp1 keeps running untouched.
    old_port = deployment.ports["webapp2"]
    deployment.set_port("webapp2", free_port())
    assert deployment.run(dry_run=True).splitlines() == [
        "deactivate: webapp2 on localhost (managed-process)",
        "activate: webapp2 on localhost (managed-process)",
        "unchanged: webapp1 on localhost (managed-process)",
    ]
    deployment.run()
    assert serving(deployment) and http_get(old_port) is None
    assert deployment.pid("webapp1") == first["webapp1"] and deployment.pid("webapp2") != first["webapp2"]

    # Rollback: the previous generation's manifest, no evaluation; it becomes current again.
    deployment.run(operation="rollback")
    assert answers(old_port, "webapp2") and deployment.pid("webapp1") == first["webapp1"]
    assert [g.number for g in profiles.list_generations(deployment.profile) if g.current] == [1]

    deployment.run(operation="undeploy")
    assert silent(old_port) and silent(deployment.ports["webapp1"])
    assert not list(deployment.state.rglob("*.pid")) and not reaper.pids()
    assert [generation.number for generation in profiles.list_generations(deployment.profile)] == [1, 2, 3]


BROKEN = textwrap.dedent("""\
    # The fixture plus an instance whose initialization fails, so its activation does.
    { pkgs ? import <nixpkgs> { inherit system; }
    , system ? builtins.currentSystem
    , stateDir ? "/var"
    , runtimeDir ? "${stateDir}/run"
    , logDir ? "${stateDir}/log"
    , tmpDir ? (if stateDir == "/var" then "/tmp" else "${stateDir}/tmp")
    , forceDisableUserChange ? false
    , processManager
    }@args:

    let
      createManagedProcess = import <nix-processmgmt/nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
        inherit pkgs runtimeDir logDir tmpDir stateDir forceDisableUserChange processManager;
      };
    in
    import ./processes.nix args // {
      broken.pkg = createManagedProcess {
        instanceName = "broken";
        initialize = "echo refusing to start >&2; exit 1";
        foregroundProcess = "${pkgs.python3}/bin/python3";
        foregroundProcessArgs = [ ./webapp.py ];
        overrides.sysvinit.runlevels = [ 3 ];
      };
    }
""")


def test_failing_activation_rolls_back_to_the_previous_deployment(deployment: Deployment, reaper: Reaper) -> None:
    deployment.run()
    assert serving(deployment)
    first = {name: deployment.pid(name) for name in deployment.ports}
    old_port = deployment.ports["webapp2"]
    deployment.set_port("webapp2", free_port())
    broken = deployment.model.parent / "broken.nix"
    broken.write_text(BROKEN)
    with pytest.raises(DeployError, match="sysvinit-script: 'S00broken start' failed .*; rolled back to the previous"):
        deployment.run(broken)
    assert any("refusing to start" in line for line in deployment.lines)
    # The previous deployment runs again: webapp1 never stopped, webapp2 is back on its old port.
    assert answers(old_port, "webapp2") and http_get(deployment.ports["webapp2"]) is None
    assert deployment.pid("webapp1") == first["webapp1"]
    assert [generation.number for generation in profiles.list_generations(deployment.profile)] == [1]
    deployment.run(operation="undeploy")
    assert not reaper.pids()


def test_process_services_of_the_disnix_backend(tmp_path: Path, store: Store, state: Path, reaper: Reaper) -> None:
    deployment = Deployment(tmp_path, store, state, reaper, process_manager="disnix")
    assert deployment.run(dry_run=True).splitlines()[0] == "activate: webapp1 on localhost (process)"
    deployment.run()
    assert serving(deployment)
    deployment.run(operation="undeploy")
    assert all(silent(port) for port in deployment.ports.values()) and not reaper.pids()


def test_other_machines_need_disnix(deployment: Deployment) -> None:
    request = deployment.request()
    assert request.processes is not None
    elsewhere = replace(request.processes, targets=(Target(name="test1", hostname="test1.example"),))
    with pytest.raises(DeployError, match=r"target test1 \(test1.example\) is not this machine"):
        local_disnix_env(deployment.store, DisnixEnvRequest(processes=elsewhere), deployment.environment,
                         deployment.lines.append)


def test_the_command(deployment: Deployment, reaper: Reaper, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in reaper.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DYSNOMIA_STATEDIR", deployment.environment["DYSNOMIA_STATEDIR"])
    common = ["--store-dir", deployment.store.store_dir, "--state-dir", str(deployment.state),
              "--force-disable-user-change", "--coordinator-profile-path", str(deployment.profiles), "--local"]
    runner = CliRunner()
    deployed = runner.invoke(nixproc_disnix_env, [*common, str(deployment.model)])
    assert deployed.exit_code == 0, deployed.output
    assert serving(deployment)
    listed = runner.invoke(nixproc_disnix_env, [*common, "--list-generations"])
    assert listed.exit_code == 0 and listed.output.rstrip().endswith("(current)")
    undeployed = runner.invoke(nixproc_disnix_env, [*common, "--undeploy"])
    assert undeployed.exit_code == 0, undeployed.output
    assert all(silent(port) for port in deployment.ports.values())
    for arguments, message in (
        ([], "No processes model given"),
        (["--rollback", "--undeploy"], "--undeploy and --rollback cannot be combined"),
        (["-s", "services.nix"], "-s, -i and -d go together"),
        (["-A", "architecture.nix"], "-P, -A and -D need Disnix"),
    ):
        result = runner.invoke(nixproc_disnix_env, [*common, *arguments])
        assert result.exit_code == 1 and message in result.output, result.output


def test_concurrent_deployments_are_refused(deployment: Deployment) -> None:
    with deploy.machine_lock(deployment.environment):
        with pytest.raises(DeployError, match="another deployment to this machine is in progress"):
            deployment.run()


def test_with_disnix_installed_the_real_disnix_env_gets_the_compiled_models(
    deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stand-in disnix-env on PATH records what it is given: the models compiled from MODEL and every option."""
    record = tmp_path / "disnix-env.json"
    python_program(tmp_path / "bin/disnix-env", textwrap.dedent(f"""\
        import json, os, sys
        args = sys.argv[1:]
        models = {{flag: open(args[args.index(flag) + 1]).read() for flag in ("-s", "-i", "-d") if flag in args}}
        json.dump({{"args": args, "models": models}}, open({str(record)!r}, "w"))
        sys.exit(7)
    """))
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    result = CliRunner().invoke(nixproc_disnix_env, [
        "--store-dir", deployment.store.store_dir, "--state-dir", str(deployment.state), str(deployment.model),
        "-p", "webapps", "--target-property", "hostname", "-m", "3", "--no-upgrade", "--build-on-targets",
        "--extra-params", "{ }",
    ])
    assert result.exit_code == 7, result.output  # disnix-env's own status
    called = json.loads(record.read_text())
    args = called["args"]
    assert args[:4] == ["-p", "webapps", "--target-property", "hostname"]
    assert ["--max-concurrent-transfers", "3"] == args[4:6] and "--no-upgrade" in args and "--build-on-targets" in args
    assert args[args.index("--extra-params") + 1] == "{ }"
    assert 'type = import (nix-processmgmt + "/nixproc/derive-dysnomia-process-type.nix")' in called["models"]["-s"]
    assert 'processManager = "sysvinit";' in called["models"]["-i"]
    assert "webapp2 = [ infrastructure.localhost ];" in called["models"]["-d"]
    # Generation operations go to disnix-env as they are, without models.
    rolled = CliRunner().invoke(nixproc_disnix_env, ["--rollback"])
    assert rolled.exit_code == 7 and json.loads(record.read_text())["args"] == ["-p", "default", "--rollback"]
