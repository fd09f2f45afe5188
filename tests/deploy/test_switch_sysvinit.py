"""nixproc-sysvinit-switch for real: the webapps example built, started, changed, rolled back, undeployed.

Each test deploys a copy of ``examples/`` whose ``ids.nix`` gives the
webapps free ports, into its own state directory and profile, sharing one
store (so the packages are built once). Every process started carries a
marker in its environment; at teardown every process with the marker, and
every PID in a PID file under the state directory, is killed by PID.
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from webapps_deployment import free_port

from nixproc_disnix.backends.common.switcher import SwitchContext, switcher
from nixproc_disnix.backends.sysvinit.switch import run_activity
from nixproc_disnix.cli.switch import sysvinit
from nixproc_disnix.cli.sysvinit import nixproc_sysvinit_runactivity
from nixproc_disnix.deploy.build import BuildRequest, build_profile
from nixproc_disnix.deploy.plan import SwitchPlan
from nixproc_disnix.deploy.switch import SwitchOptions, switch
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import read_profile
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store import profiles
from nixproc_disnix.store.store import open_store

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def stat_fields(pid: int) -> list[str]:
    """``/proc/<pid>/stat`` after the command name: state, ppid, pgrp, session, ..."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return []


def start_time(pid: int) -> int:
    return int(stat_fields(pid)[19])


def kill_marked_and_pid_files(marker: str, state: Path) -> None:
    """SIGKILL every process carrying ``marker`` or named by a PID file under ``state``, and their sessions.

    A daemon's session holds its helpers (nginx's workers drop the
    environment, so only their session tells they are ours).
    """
    pids = set()
    needle = f"NIXPROC_TEST_MARKER={marker}".encode()
    processes = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    for pid in processes:
        try:
            if needle in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                pids.add(pid)
        except OSError:
            pass
    for pid_file in state.rglob("*.pid") if state.exists() else []:
        pids.update(int(word) for word in pid_file.read_text().split() if word.isdigit())
    sessions = {pid for pid in pids if stat_fields(pid)[3:4] == [str(pid)]}
    pids.update(pid for pid in processes if stat_fields(pid)[3:4] and int(stat_fields(pid)[3]) in sessions)
    for pid in pids - {os.getpid()}:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def tear_down(deployment: "Deployment", marker: str) -> None:
    """Stop what the deployment runs with its own scripts, then kill whatever is left by PID."""
    if deployment.profile.exists():
        try:
            run_activity(str(deployment.profile), "stop", "3", reverse=True, report=lambda line: None)
        except DeployError:
            pass
    kill_marked_and_pid_files(marker, deployment.state)


class Deployment:
    """A copy of the examples with its own ports, state directory and profile."""

    def __init__(self, root: Path, store_dir: Path, force_disable_user_change: bool = True) -> None:
        self.root = root
        self.store_dir = store_dir
        shutil.copytree(EXAMPLES, root / "examples", ignore=shutil.ignore_patterns("__pycache__", "result*"))
        self.model = root / "examples/webapps-agnostic/processes.nix"
        self.state = root / "state"
        self.profile = root / "profiles" / "processes"
        self.force = force_disable_user_change
        self.ports = {"webapp1": free_port(), "webapp2": free_port(), "nginx": free_port()}
        self.write_ids()
        self.lines: list[str] = []

    def write_ids(self) -> None:
        (self.model.parent / "ids.nix").write_text(
            "{ ids = { webappPorts = { webapp1 = %d; webapp2 = %d; }; nginxPorts = { nginx = %d; }; }; }\n"
            % (self.ports["webapp1"], self.ports["webapp2"], self.ports["nginx"])
        )

    def state_dirs(self) -> StateDirs:
        return StateDirs(state_dir=str(self.state), force_disable_user_change=self.force)

    def switch(self, model: Path | None = None) -> SwitchPlan:
        options = SwitchOptions("sysvinit", str(self.profile), state_dirs=self.state_dirs(), runlevel="3")
        request = BuildRequest("sysvinit", str(model or self.model), self.state_dirs())
        with open_store(str(self.store_dir)) as store:
            return switch(store, options, request, self.lines.append)

    def cli(self, *args: str) -> Result:
        common = ["--store-dir", str(self.store_dir), "--state-dir", str(self.state), "--runlevel", "3",
                  *(["--force-disable-user-change"] if self.force else [])]
        return CliRunner().invoke(sysvinit.switch, [*common, *args],
                                  env={"NIX_USER_PROFILE_DIR": str(self.profile.parent)})

    def pid(self, name: str) -> int | None:
        try:
            pid = int((self.state / "tmp" / f"{name}.pid").read_text())
        except (FileNotFoundError, ValueError):
            return None
        return pid if alive(pid) else None

    def answer(self, name: str, port: int | None = None) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port or self.ports[name]}/", timeout=5) as response:
            return response.read().decode()

    def generations(self) -> list[tuple[int, bool]]:
        return [(g.number, g.current) for g in profiles.list_generations(str(self.profile))]


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("switch") / "root" / "store"


@pytest.fixture
def marker(monkeypatch: pytest.MonkeyPatch) -> str:
    token = uuid.uuid4().hex
    monkeypatch.setenv("NIXPROC_TEST_MARKER", token)
    return token


@pytest.fixture
def deployment(tmp_path: Path, store_dir: Path, marker: str) -> Iterator[Deployment]:
    deployed = Deployment(tmp_path, store_dir)
    yield deployed
    tear_down(deployed, marker)


def test_first_switch_starts_in_dependency_order_and_a_second_changes_nothing(deployment: Deployment) -> None:
    plan = deployment.switch()
    levels = {process.name: index for index, level in enumerate(plan.start) for process in level}
    assert levels["webapp1"] < levels["webapp2"]
    for name in ("webapp1", "webapp2"):
        assert f"on port {deployment.ports[name]}" in deployment.answer(name)
    first, second = deployment.pid("webapp1"), deployment.pid("webapp2")
    assert first is not None and second is not None and start_time(first) <= start_time(second)
    started = [line for line in deployment.lines if line.startswith("Starting")]
    assert started.index("Starting Webapp (webapp1)... [  OK  ]") < started.index("Starting Webapp (webapp2)... [  OK  ]")
    assert deployment.generations() == [(1, True)]

    again = deployment.switch()
    assert again.is_empty and "webapp1" in again.unchanged
    assert (deployment.pid("webapp1"), deployment.pid("webapp2")) == (first, second)
    assert deployment.generations() == [(1, True)]


def test_a_changed_instance_restarts_alone_with_its_dependents(deployment: Deployment) -> None:
    deployment.switch()
    first, second = deployment.pid("webapp1"), deployment.pid("webapp2")
    deployment.ports["webapp2"] = free_port()
    deployment.write_ids()
    plan = deployment.switch()
    profile = read_profile(str(deployment.profile))
    dependents = {name for name, process in profile.processes.items() if "webapp2" in process.dependencies}
    assert set(plan.restart) == {"webapp2", *dependents}
    assert "webapp1" in plan.unchanged and deployment.pid("webapp1") == first
    assert deployment.pid("webapp2") not in (None, second)
    assert f"on port {deployment.ports['webapp2']}" in deployment.answer("webapp2")
    assert deployment.generations() == [(1, False), (2, True)]


def test_a_failing_start_rolls_back_to_the_running_generation(deployment: Deployment) -> None:
    deployment.switch()
    first, old_port = deployment.pid("webapp1"), deployment.ports["webapp2"]
    target = os.readlink(deployment.profile)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        deployment.ports["webapp2"] = taken.getsockname()[1]
        deployment.write_ids()
        with pytest.raises(DeployError) as error:
            deployment.switch()
    assert error.value.message.startswith("cannot start webapp2: S01webapp2 start exited with status 1")
    assert error.value.message.endswith("; rolled back to the previous deployment")
    assert os.readlink(deployment.profile) == target and deployment.generations() == [(1, True)]
    assert deployment.pid("webapp1") == first
    assert f"on port {old_port}" in deployment.answer("webapp2", old_port)


def test_generations_rollback_switch_generation_dry_run_and_undeploy(deployment: Deployment) -> None:
    model = str(deployment.model)
    first_port = deployment.ports["webapp2"]
    assert deployment.cli("--max-concurrent", "1", model).exit_code == 0
    deployment.ports["webapp2"] = second_port = free_port()
    deployment.write_ids()
    assert deployment.cli(model).exit_code == 0
    listed = deployment.cli("--list-generations")
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["1", "2"]
    assert listed.stdout.splitlines()[1].endswith("(current)")

    rolled = deployment.cli("--rollback")
    assert rolled.exit_code == 0, rolled.output
    assert deployment.generations()[-1] == (3, True)
    assert f"on port {first_port}" in deployment.answer("webapp2", first_port)

    switched = deployment.cli("--switch-generation", "2")
    assert switched.exit_code == 0, switched.output
    assert (2, True) in deployment.generations() and len(deployment.generations()) == 3
    assert f"on port {second_port}" in deployment.answer("webapp2", second_port)
    missing = deployment.cli("--switch-generation", "9")
    assert missing.exit_code == 1 and "requested profile" in missing.stderr and "processes-9-link" in missing.stderr

    pids = (deployment.pid("webapp1"), deployment.pid("webapp2"))
    dry = deployment.cli("--undeploy", "--dry-run")
    assert dry.exit_code == 0 and "stop: webapp1" in dry.stdout and "unchanged" not in dry.stdout
    assert (deployment.pid("webapp1"), deployment.pid("webapp2")) == pids and len(deployment.generations()) == 3

    undeployed = deployment.cli("--undeploy")
    assert undeployed.exit_code == 0, undeployed.output
    assert deployment.pid("webapp1") is None and deployment.pid("webapp2") is None
    assert not list((deployment.state / "tmp").glob("*.pid"))
    assert read_profile(str(deployment.profile)).processes == {}
    assert deployment.generations()[-1] == (4, True)

    assert deployment.cli("--delete-generations", "old").stdout.splitlines() == [
        f"removing profile version {n}" for n in (1, 2, 3)
    ]
    assert deployment.cli("--delete-all-generations").exit_code == 0 and deployment.generations() == []
    roots = deployment.store_dir.parent / "gcroots" / "auto"
    assert str(deployment.profile.parent) in {os.readlink(root) for root in roots.iterdir()}


def test_dry_run_of_a_first_deployment_changes_nothing(deployment: Deployment) -> None:
    result = deployment.cli("--dry-run", str(deployment.model))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == ["start: webapp1", "start: webapp2"]
    assert not deployment.state.exists() and not deployment.profile.parent.exists()


def test_deploy_a_built_profile_and_run_activities(deployment: Deployment) -> None:
    with open_store(str(deployment.store_dir)) as store:
        built = build_profile(store, BuildRequest("sysvinit", str(deployment.model), deployment.state_dirs()))
    deployed = CliRunner().invoke(sysvinit.deploy, ["--store-dir", str(deployment.store_dir), "--state-dir",
                                                    str(deployment.state), "--runlevel", "3", "-p",
                                                    str(deployment.profile), built])
    assert deployed.exit_code == 0, deployed.output
    assert "on port" in deployment.answer("webapp1") and deployment.generations() == [(1, True)]

    status = CliRunner().invoke(nixproc_sysvinit_runactivity, ["--runlevel", "3", "status", str(deployment.profile)])
    assert status.exit_code == 0 and "webapp is running with Process ID(s)" in status.stdout
    stopped = CliRunner().invoke(nixproc_sysvinit_runactivity, ["-r", "--runlevel", "3", "stop", built])
    assert stopped.exit_code == 0 and deployment.pid("webapp1") is None and deployment.pid("webapp2") is None
    lines = [line for line in stopped.stdout.splitlines() if line.startswith("Stopping Webapp")]
    assert lines == ["Stopping Webapp (webapp2)... [  OK  ]", "Stopping Webapp (webapp1)... [  OK  ]"]
    assert CliRunner().invoke(nixproc_sysvinit_runactivity, ["--runlevel", "3", "status", built]).exit_code == 1


def test_usage_errors(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    no_model = deployment.cli()
    assert no_model.exit_code == 1 and no_model.stderr == "error: No processes expression provided!\n"
    combined = deployment.cli("--rollback", "--undeploy")
    assert combined.exit_code == 1 and "--undeploy and --rollback cannot be combined" in combined.stderr
    no_previous = deployment.cli("--rollback")
    assert no_previous.stderr == "error: Unable to roll back as there are no known previous deployments!\n"
    no_path = CliRunner().invoke(sysvinit.deploy, [])
    assert no_path.exit_code == 1 and no_path.stderr == "error: No profile path was provided!\n"
    no_activity = CliRunner().invoke(nixproc_sysvinit_runactivity, [])
    assert no_activity.stderr == "error: No activity specified!\n"
    bad_runlevel = deployment.cli("--runlevel", "../x", str(deployment.model))
    assert bad_runlevel.stderr == "error: invalid runlevel '../x'\n"

    monkeypatch.setitem(sys.modules, "nixproc_disnix.backends.launchd.switch", None)
    with pytest.raises(DeployError, match="^deploying with launchd is not supported yet$"):
        switcher("launchd", SwitchContext(StateDirs(), print))


@pytest.mark.skipif(os.geteuid() != 0, reason="creating users needs root")
def test_as_root_processes_run_as_their_own_users(marker: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real accounts with throwaway names, created before the start and deleted by the undeploy.

    Everything the process runs must be readable by its user, so the store
    lives outside pytest's private directory and packages come from the
    system PATH.
    """
    monkeypatch.setenv("PATH", SYSTEM_PATH)
    name = f"nxpt{uuid.uuid4().hex[:8]}"
    root = Path(tempfile.mkdtemp(prefix="nixproc-switch-"))
    root.chmod(0o755)
    deployment = Deployment(root, root / "root" / "store", force_disable_user_change=False)
    model = root / "single.nix"
    model.write_text(f"""
{{ pkgs, stateDir ? "/var", runtimeDir ? "${{stateDir}}/run", logDir ? "${{stateDir}}/log",
  tmpDir ? "${{stateDir}}/tmp", forceDisableUserChange ? false, processManager }}:
let
  constructors = import {root}/examples/webapps-agnostic/constructors/constructors.nix {{
    inherit pkgs stateDir runtimeDir logDir tmpDir forceDisableUserChange processManager;
  }};
in {{
  {name} = {{ pkg = constructors.webapp {{ port = {deployment.ports["webapp1"]}; instanceName = "{name}"; }}; }};
}}
""")
    try:
        plan = deployment.switch(model)
        assert [user.name for user in plan.add_users] == [name] and [g.name for g in plan.add_groups] == [name]
        pid = deployment.pid(name)
        assert pid is not None and "on port" in deployment.answer("webapp1")
        uid = int(next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                       if line.startswith("Uid:")).split()[1])
        assert uid == pwd.getpwnam(name).pw_uid != 0

        with open_store(str(deployment.store_dir)) as store:
            options = SwitchOptions("sysvinit", str(deployment.profile), state_dirs=deployment.state_dirs(),
                                    runlevel="3")
            undeployed = switch(store, options, BuildRequest("sysvinit", None, deployment.state_dirs()), print)
        assert [user.name for user in undeployed.delete_users] == [name]
        assert deployment.pid(name) is None
        assert subprocess.run(["getent", "passwd", name], capture_output=True).returncode == 2
        assert subprocess.run(["getent", "group", name], capture_output=True).returncode == 2
    finally:
        tear_down(deployment, marker)
        subprocess.run(["userdel", name], capture_output=True)
        subprocess.run(["groupdel", name], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
