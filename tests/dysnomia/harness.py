"""What the Dysnomia and Disnix tests share: the webapps fixture with free ports, HTTP probes, cleanup, fake tools.

Every process a test starts inherits a marker in its environment
(:class:`Reaper`); teardown kills every marked process and every PID named
by a PID file under the test's state directory, by PID, whether the test
passed or not.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))

from backend_checks import Reaper, python_program, wait_for  # noqa: E402

from nixproc_disnix.dysnomia.module import ModuleCall  # noqa: E402
from nixproc_disnix.store.store import Store  # noqa: E402

__all__ = ["Reaper", "python_program", "wait_for"]

TESTS = Path(__file__).resolve().parents[1]
WEBAPPS = TESTS / "fixtures" / "webapps"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_get(port: int) -> str | None:
    """What 127.0.0.1:``port`` answers to ``GET /``, None when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return str(response.read().decode())
    except OSError:
        return None


def answers(port: int, body: str, timeout: float = 10.0) -> bool:
    return wait_for(lambda: http_get(port) == body, timeout)


def silent(port: int, timeout: float = 10.0) -> bool:
    return wait_for(lambda: http_get(port) is None, timeout)


def webapps_model(root: Path, ports: dict[str, int]) -> Path:
    """A copy of the two-webapp fixture under ``root`` whose ``ids.nix`` gives the instances ``ports``."""
    copy = root / "webapps"
    shutil.copytree(WEBAPPS, copy, ignore=shutil.ignore_patterns("__pycache__", "ids.nix"))
    assignments = " ".join(f"{name} = {port};" for name, port in sorted(ports.items()))
    (copy / "ids.nix").write_text(f"{{ ids = {{ webappPorts = {{ {assignments} }}; }}; }}\n")
    return copy / "processes.nix"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(str(tmp_path / "nixproc")) as opened:
        yield opened


@pytest.fixture
def reaper(state: Path) -> Iterator[Reaper]:
    """A marker for the processes the test starts; they and every PID file's process under the test's
    ``state`` are killed afterwards."""
    started = Reaper()
    yield started
    reap(started, state)


def reap(reaper: Reaper, state: Path) -> None:
    """SIGKILL every process carrying ``reaper``'s marker or named by a PID file under ``state``."""
    pids = set(reaper.pids())
    for pid_file in state.rglob("*.pid") if state.exists() else []:
        try:
            pids.update(int(word) for word in pid_file.read_text().split() if word.isdigit())
        except OSError:
            pass
    for pid in pids - {os.getpid()}:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


FAKE_TOOL = r'''
import json, os, sys
log = os.environ["FAKE_TOOL_LOG"]
with open(log, "a") as handle:
    handle.write(json.dumps([os.path.basename(sys.argv[0]), *sys.argv[1:]]) + "\n")
fail = os.environ.get("FAKE_TOOL_FAIL", "")
if fail and fail in " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:]]):
    sys.exit(3)
state = os.environ.get("FAKE_TOOL_STATE")
if state and os.path.basename(sys.argv[0]) == "docker":
    os.makedirs(state, exist_ok=True)
    command, args = sys.argv[1], sys.argv[2:]
    def exists(name):
        return os.path.exists(os.path.join(state, name))
    def touch(name):
        open(os.path.join(state, name), "w").close()
    def remove(name):
        if exists(name):
            os.unlink(os.path.join(state, name))
    if command == "images" and exists("image-" + args[-1].replace("/", "_")):
        print("0123456789ab")
    elif command == "load":
        touch("image-" + open(args[-1]).read().strip().replace("/", "_"))
    elif command == "ps":
        name = args[-1].split("=", 1)[1].strip("^$")
        if exists(("running-" if "-a" not in args else "container-") + name):
            print("fedcba987654")
    elif command == "create":
        touch("container-" + args[args.index("--name") + 1])
    elif command == "start":
        touch("running-" + args[-1])
    elif command == "stop":
        remove("running-" + args[-1])
    elif command == "rm":
        remove("container-" + args[-1])
    elif command == "rmi":
        remove("image-" + args[-1].replace("/", "_"))
'''


def fake_tools(directory: Path, names: list[str]) -> Path:
    """``directory`` with a program per name that logs its argv as a JSON line to ``$FAKE_TOOL_LOG``,
    fails (status 3) when its command line contains ``$FAKE_TOOL_FAIL``, and, as ``docker``, keeps
    images, containers and running containers as files in ``$FAKE_TOOL_STATE``."""
    for name in names:
        python_program(directory / name, FAKE_TOOL)
    return directory


class Tools:
    """Fake ``systemctl``, ``launchctl``, … on PATH; what they were called with, in order."""

    def __init__(self, root: Path) -> None:
        self.bin = fake_tools(root / "fake-bin", [
            "systemctl", "launchctl", "cygrunsrv", "docker", "supervisorctl",
            "s6-rc-compile", "s6-rc-init", "s6-rc-update", "s6-rc",
        ])
        self.log = root / "fake-tools.log"
        self.docker_state = root / "docker-state"

    def environment(self) -> dict[str, str]:
        return {"FAKE_TOOL_LOG": str(self.log), "FAKE_TOOL_STATE": str(self.docker_state),
                "PATH": f"{self.bin}:{os.environ['PATH']}"}

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def clear(self) -> None:
        self.log.unlink(missing_ok=True)


def module_call(module_type: str, activity: str, component: Path | str, environment: dict[str, str],
                container: str = "", lines: list[str] | None = None) -> ModuleCall:
    """A call of one of our modules with ``environment`` (over this process's) and messages kept in ``lines``."""
    return ModuleCall(type=module_type, activity=activity, component=str(component), container=container,
                      environment={**os.environ, **environment},
                      report=(lines if lines is not None else []).append)
