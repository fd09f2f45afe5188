"""nixproc-sysvinit-switch killed with SIGKILL half-way: the next run converges, the old generations stay restorable.

The real command runs in a subprocess and is killed at points it shows by
itself, without any hook for tests:

- after the build, it waits for the profile's switch lock, which the test holds;
- after stopping the old processes, the first new one (``b``) waits for its
  readiness check, a file that does not exist yet; ``d``, beside it, runs;
- in the middle of starting, the last one (``c``) waits likewise;
- just before recording the generation, it waits for the profile's lock
  (``<profile>.lock``, Nix's), which the test holds.

A waiting lock shows in ``/proc/locks``; a waiting readiness check shows as
the new process running. Then the file appears and the switch runs again.
The model is a chain ``a <- b <- c`` and ``a <- d`` of tiny HTTP servers
that answer their name and version. Every process started carries a marker
in its environment and is killed by PID at teardown.
"""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from webapps_deployment import MARKER_VARIABLE, alive, free_port, kill_marked, marked_pids

from nixproc_disnix.cli.switch import sysvinit
from nixproc_disnix.deploy import journal
from nixproc_disnix.deploy.build import BuildRequest, build_profile
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store import profiles
from nixproc_disnix.store.store import open_store

pytestmark = pytest.mark.integration

WEBAPP = Path(__file__).resolve().parents[1] / "fixtures" / "webapps" / "webapp.py"
SWITCH = Path(sys.executable).with_name("nixproc-sysvinit-switch")
NAMES = ("a", "b", "c", "d", "e")


@dataclass(frozen=True)
class KillPoint:
    """Where the switch is killed: while it waits for the lock ``<profile><lock>``, or for ``gated``'s readiness."""

    name: str
    lock: str | None = None
    gated: str | None = None


AFTER_BUILD = KillPoint("after the build", lock=".switch-lock")
MID_START = KillPoint("in the middle of starting", gated="c")
KILL_POINTS = (AFTER_BUILD, KillPoint("after stopping the old processes", gated="b"), MID_START,
               KillPoint("just before recording the generation", lock=".lock"))


@dataclass(frozen=True)
class Server:
    """One process of a generated model: its version (part of its answer) and the processes it depends on."""

    version: str
    dependencies: tuple[str, ...] = ()
    gated: bool = False
    """Whether its readiness check waits for the gate file."""


Model = dict[str, Server]

OLD: Model = {"a": Server("1"), "b": Server("1", ("a",)), "c": Server("1", ("b",))}
NEW: Model = {"a": Server("1"), "b": Server("2", ("a",)), "c": Server("2", ("b",)), "d": Server("2", ("a",))}


def gated(model: Model, name: str | None) -> Model:
    if name is None:
        return model
    return {**model, name: Server(model[name].version, model[name].dependencies, gated=True)}


class CrashDeployment:
    """A generated model's generations, deployed into their own state directory and profile with a shared store."""

    def __init__(self, root: Path, store_dir: Path, ports: dict[str, int]) -> None:
        self.root = root
        self.store_dir = store_dir
        self.ports = ports
        self.state = root / "state"
        self.profile = root / "profiles" / "processes"
        self.gate = root / "gate"
        self.models = 0

    def write(self, model: Model) -> Path:
        """A processes model with ``model``'s servers, in a directory of its own."""
        self.models += 1
        directory = self.root / f"model{self.models}"
        directory.mkdir()
        shutil.copy(WEBAPP, directory / "webapp.py")
        readiness = f'{{ command = [ "test" "-e" "{self.gate}" ]; timeout = 60; interval = 0.05; }}'
        servers = "".join(
            f'  {name}.pkg = server {{ instanceName = "{name}"; port = {self.ports[name]}; '
            f'version = "{server.version}"; dependencies = [ {" ".join(f"{d}.pkg" for d in server.dependencies)} ]; '
            f'readiness = {readiness if server.gated else "null"}; }};\n'
            for name, server in model.items()
        )
        (directory / "processes.nix").write_text(
            '{ pkgs, stateDir, runtimeDir ? "${stateDir}/run", logDir ? "${stateDir}/log",\n'
            '  tmpDir ? "${stateDir}/tmp", forceDisableUserChange ? true, processManager }:\n'
            "let\n"
            "  createManagedProcess = import <nix-processmgmt/nixproc/create-managed-process/universal/"
            "create-managed-process-universal.nix> {\n"
            "    inherit pkgs runtimeDir logDir tmpDir stateDir forceDisableUserChange processManager;\n"
            "  };\n"
            "  server = { instanceName, port, version, dependencies, readiness }: createManagedProcess {\n"
            "    inherit instanceName dependencies readiness;\n"
            '    foregroundProcess = "${pkgs.python3}/bin/python3";\n'
            "    foregroundProcessArgs = [ ./webapp.py ];\n"
            '    environment = { PORT = port; NAME = "${instanceName} ${version}"; };\n'
            "    overrides.sysvinit.runlevels = [ 3 ];\n"
            "  };\n"
            f"in rec {{\n{servers}}}\n"
        )
        return directory / "processes.nix"

    def build(self, model: Path) -> str:
        """The profile a switch to ``model`` deploys (built ahead, so the switch's own build finds it)."""
        state_dirs = StateDirs(state_dir=str(self.state), force_disable_user_change=True)
        with open_store(str(self.store_dir)) as store:
            return build_profile(store, BuildRequest("sysvinit", str(model), state_dirs))

    def arguments(self, *args: str) -> list[str]:
        return ["--store-dir", str(self.store_dir), "--state-dir", str(self.state), "--runlevel", "3",
                "--force-disable-user-change", *args]

    def environment(self) -> dict[str, str]:
        return {**os.environ, "NIX_USER_PROFILE_DIR": str(self.profile.parent)}

    def cli(self, *args: str) -> Result:
        """The switch run again, in this process."""
        result = CliRunner().invoke(sysvinit.switch, self.arguments(*args), env=self.environment())
        assert result.exit_code == 0, result.output
        return result

    def kill_switch(self, path: Path, model: Model, point: KillPoint) -> None:
        """Run ``nixproc-sysvinit-switch path`` (``model`` written out) in a subprocess and SIGKILL it at ``point``."""

        def reached(pid: int) -> bool:
            if point.gated is not None:
                return self.version_running(point.gated) == model[point.gated].version
            return waiting_for_lock(pid, Path(f"{self.profile}{point.lock}"))

        with self.held(point):
            switch = subprocess.Popen([str(SWITCH), *self.arguments(str(path))], env=self.environment(),
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            output: list[bytes] = []
            reader = threading.Thread(target=lambda: output.extend(switch.stderr or ()), daemon=True)
            reader.start()
            try:
                wait_for(lambda: reached(switch.pid) or switch.poll() is not None)
                assert switch.poll() is None, b"".join(output).decode()
            finally:
                switch.send_signal(signal.SIGKILL)
                switch.wait()
                reader.join()

    @contextmanager
    def held(self, point: KillPoint) -> Iterator[None]:
        """Hold the lock the switch waits for at ``point``, if it is a lock."""
        if point.lock is None:
            yield
            return
        with open(f"{self.profile}{point.lock}", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def version_running(self, name: str) -> str | None:
        """The version of ``name`` its PID file names, if that process runs."""
        pid = self.pid(name)
        served = None if pid is None else serves(pid)
        return None if served is None else served[1]

    def pid(self, name: str) -> int | None:
        try:
            pid = int((self.state / "run" / f"{name}.pid").read_text())
        except (FileNotFoundError, ValueError):
            return None
        return pid if alive(pid) else None

    def pids(self) -> dict[str, int | None]:
        return {name: self.pid(name) for name in NAMES}

    def answer(self, name: str) -> str:
        """What ``name`` answers, once it listens (a foreground server counts as started before it does)."""
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[name]}/", timeout=5) as response:
                    return response.read().decode()
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def assert_runs(self, model: Model, built: str, marker: str) -> None:
        """Exactly ``model``'s processes run, once each, with PID files; the current generation is ``built``."""
        assert {name: self.answer(name) for name in model} == {name: f"{name} {s.version}" for name, s in model.items()}
        pid_files = {path.stem: int(path.read_text()) for path in (self.state / "run").glob("*.pid")}
        assert set(pid_files) == set(model) and all(alive(pid) for pid in pid_files.values())
        assert servers_running(marker) == Counter(model.keys())
        assert os.path.realpath(self.profile) == built and journal.interrupted(str(self.profile)) == []

    def generations(self) -> list[tuple[int, bool]]:
        return [(generation.number, generation.current) for generation in profiles.list_generations(str(self.profile))]


def waiting_for_lock(pid: int, lock: Path) -> bool:
    """Whether ``pid`` waits for the ``flock`` of ``lock`` (a ``->`` line of ``/proc/locks``)."""
    inode = f":{lock.stat().st_ino}"
    return any(fields[1:6:4] == ["->", str(pid)] and fields[6].endswith(inode)
               for fields in map(str.split, Path("/proc/locks").read_text().splitlines()))


def serves(pid: int) -> tuple[str, str] | None:
    """The instance name and version ``pid`` answers with: its ``NAME`` (the last, as Python's ``os.environ`` reads)."""
    try:
        environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    names = [entry[len(b"NAME="):].decode().split() for entry in environment if entry.startswith(b"NAME=")]
    return (names[-1][0], names[-1][1]) if names and len(names[-1]) == 2 else None


def servers_running(marker: str) -> Counter[str]:
    """How many webapp servers carrying ``marker`` run, by instance name."""
    running: Counter[str] = Counter()
    for pid in marked_pids(marker):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        served = serves(pid)
        if command[0].endswith(b"python3") and any(argument.endswith(b"webapp.py") for argument in command) and served:
            running[served[0]] += 1
    return running


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("crash") / "root" / "store"


@pytest.fixture(scope="module")
def ports() -> dict[str, int]:
    return {name: free_port() for name in NAMES}


@pytest.fixture
def marker(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    token = uuid.uuid4().hex
    monkeypatch.setenv(MARKER_VARIABLE, token)
    yield token
    kill_marked(token)


@pytest.fixture
def deployment(tmp_path: Path, store_dir: Path, ports: dict[str, int], marker: str) -> CrashDeployment:
    return CrashDeployment(tmp_path, store_dir, ports)


@pytest.mark.parametrize("point", KILL_POINTS, ids=lambda point: point.name)
def test_a_killed_switch_converges_on_the_next_run(deployment: CrashDeployment, marker: str, point: KillPoint) -> None:
    deployment.cli(str(deployment.write(OLD)))
    before = deployment.pids()
    target = gated(NEW, point.gated)
    model = deployment.write(target)
    built = deployment.build(model)

    deployment.kill_switch(model, target, point)
    assert deployment.generations() == [(1, True)]
    if point == AFTER_BUILD:
        assert deployment.pids() == before, "nothing was touched yet"

    deployment.gate.touch()
    deployment.cli(str(model))
    deployment.assert_runs(NEW, built, marker)
    assert deployment.generations() == [(1, False), (2, True)]

    converged = deployment.pids()
    again = deployment.cli(str(model))
    assert not re.search(r"(?i)\b(start|stop)", again.stderr)
    assert deployment.pids() == converged and deployment.generations() == [(1, False), (2, True)]
    assert deployment.cli("--dry-run", str(model)).stdout.endswith("nothing to do\n")


def test_after_a_killed_switch_the_previous_generations_are_restorable(deployment: CrashDeployment,
                                                                       marker: str) -> None:
    first = deployment.write(OLD)
    deployment.cli(str(first))
    second = deployment.write(NEW)
    deployment.cli(str(second))
    # c changes and e is new: both wait (e beside b, c after it); d goes.
    target = {"a": Server("1"), "b": Server("3", ("a",)), "c": Server("3", ("b",), gated=True),
              "e": Server("3", ("a",))}
    deployment.kill_switch(deployment.write(target), target, MID_START)
    assert deployment.version_running("e") == "3"

    deployment.cli("--rollback")
    deployment.assert_runs(OLD, deployment.build(first), marker)
    assert deployment.generations() == [(1, False), (2, False), (3, True)]

    deployment.cli("--switch-generation", "2")
    deployment.assert_runs(NEW, deployment.build(second), marker)
