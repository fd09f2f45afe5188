"""nixproc-supervisord-switch for real: the webapps model in a real supervisord, changed, rolled back, undeployed.

Each test runs its own ``supervisord`` on a configuration in a temporary
``SUPERVISORD_CONF_DIR`` (a unix socket there, ``conf.d/*`` included),
started with a marker in its environment that its programs inherit; at
teardown supervisord is asked to stop and then everything with the marker
is killed by PID. The webapps' programs say ``startretries=0`` (through
``overrides.supervisord``), so supervisord gives up a program that dies at
once after one try rather than after three more, seconds apart.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from webapps_deployment import MARKER_VARIABLE, WebappsDeployment, alive, kill_marked, start_time

from nixproc_disnix.backends.common.switcher import SwitchContext
from nixproc_disnix.backends.supervisord.switch import conf_dir, program_states, switcher
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import DeployedProcess, read_profile
from nixproc_disnix.model.state_dirs import StateDirs

CONFIG = """\
[supervisord]
logfile = {directory}/supervisord.log
pidfile = {directory}/supervisord.pid
childlogdir = {directory}

[unix_http_server]
file = {directory}/supervisor.sock

[supervisorctl]
serverurl = unix://{directory}/supervisor.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[include]
files = conf.d/*
"""


class Supervisord:
    """A supervisord of the test's own; its configuration directory is ``SUPERVISORD_CONF_DIR``."""

    def __init__(self, directory: Path, marker: str) -> None:
        self.directory = directory
        (self.directory / "conf.d").mkdir()
        self.config = self.directory / "supervisord.conf"
        self.config.write_text(CONFIG.format(directory=self.directory))
        self.process = subprocess.Popen(
            ["supervisord", "-n", "-c", str(self.config)], env={**os.environ, MARKER_VARIABLE: marker},
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while self.ctl("status").returncode not in (0, 3):
            assert time.monotonic() < deadline and self.process.poll() is None, "supervisord did not come up"
            time.sleep(0.1)

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["supervisorctl", "-c", str(self.config), *args], capture_output=True, text=True)

    def pid(self, name: str) -> int | None:
        """The PID of a RUNNING program."""
        match = re.search(rf"^{name}\s+RUNNING\s+pid (\d+),", self.ctl("status").stdout, re.MULTILINE)
        return int(match.group(1)) if match else None

    def programs(self) -> dict[str, str]:
        return {name: states[0][0] for name, states in program_states(self.ctl("status").stdout).items()}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("supervisord-switch") / "root" / "store"


@pytest.fixture
def marker() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def supervisord(marker: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Supervisord]:
    directory = Path(tempfile.mkdtemp(prefix="nixproc-sv-"))  # short: a unix socket's path has at most 107 bytes
    monkeypatch.setenv("SUPERVISORD_CONF_DIR", str(directory))
    running = None
    try:
        running = Supervisord(directory, marker)
        yield running
    finally:
        if running is not None:
            running.stop()
        kill_marked(marker)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def deployment(tmp_path: Path, store_dir: Path) -> WebappsDeployment:
    deployed = WebappsDeployment(tmp_path, store_dir, "supervisord")
    deployed.add_to_webapps("overrides.supervisord.startretries = 0;")
    return deployed


@pytest.mark.integration
def test_deploy_redeploy_change_fail_and_undeploy(deployment: WebappsDeployment, supervisord: Supervisord) -> None:
    """The life of a deployment in one supervisord (each supervisorctl call takes a good part of a second)."""
    plan = deployment.switch()
    assert [[process.name for process in level] for level in plan.start] == [["webapp1"], ["webapp2"]]
    assert deployment.answer("webapp1") == "webapp1" and deployment.answer("webapp2") == "webapp2"
    first, second = supervisord.pid("webapp1"), supervisord.pid("webapp2")
    assert first is not None and second is not None and start_time(first) <= start_time(second)
    log = (supervisord.directory / "supervisord.log").read_text()
    assert log.index("spawned: 'webapp1'") < log.index("spawned: 'webapp2'")
    links = sorted(os.listdir(supervisord.directory / "conf.d"))
    assert links == ["webapp1.conf", "webapp2.conf"]
    assert all(os.path.islink(supervisord.directory / "conf.d" / link) for link in links)
    assert deployment.generations() == [(1, True)]

    again = deployment.switch()
    assert again.is_empty and again.unchanged == ("webapp1", "webapp2")
    assert (supervisord.pid("webapp1"), supervisord.pid("webapp2")) == (first, second)
    assert deployment.generations() == [(1, True)]

    deployment.move("webapp2")
    changed = deployment.switch()
    assert changed.restart == ("webapp2",) and changed.unchanged == ("webapp1",)
    assert supervisord.pid("webapp1") == first
    assert supervisord.pid("webapp2") not in (None, second) and not alive(second)
    assert deployment.answer("webapp2") == "webapp2"
    assert deployment.generations() == [(1, False), (2, True)]

    # A start that fails (webapp2's new port is taken) undoes the whole switch.
    third, port = supervisord.pid("webapp2"), deployment.ports["webapp2"]
    conf_link = os.readlink(supervisord.directory / "conf.d" / "webapp2.conf")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        deployment.ports["webapp2"] = taken.getsockname()[1]
        deployment.write_ids()
        with pytest.raises(DeployError) as error:
            deployment.switch()
    assert error.value.message == ("cannot start webapp2: supervisord reports FATAL: Exited too quickly "
                                   "(process log may have details); rolled back to the previous deployment")
    assert deployment.generations() == [(1, False), (2, True)]
    assert os.readlink(supervisord.directory / "conf.d" / "webapp2.conf") == conf_link
    assert supervisord.pid("webapp1") == first and supervisord.pid("webapp2") not in (None, third)
    assert deployment.answer("webapp2", port) == "webapp2"

    undeployed = deployment.cli("--undeploy")
    assert undeployed.exit_code == 0, undeployed.output
    assert "webapp1: removed process group" in undeployed.stderr
    assert supervisord.programs() == {}
    assert os.listdir(supervisord.directory / "conf.d") == []
    assert not alive(first) and third is not None and not alive(third)
    assert read_profile(str(deployment.profile)).processes == {}
    assert deployment.generations() == [(1, False), (2, False), (3, True)]


def test_the_configuration_directory_and_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPERVISORD_CONF_DIR", raising=False)
    assert conf_dir(StateDirs()) == "/var/lib/supervisord"
    assert conf_dir(StateDirs(state_dir="/srv/state")) == "/srv/state/lib/supervisord"
    assert conf_dir(StateDirs(state_dir="/srv/state", lib_dir="/srv/lib")) == "/srv/lib/supervisord"
    monkeypatch.setenv("SUPERVISORD_CONF_DIR", "/etc/supervisor")
    assert conf_dir(StateDirs(state_dir="/srv/state")) == "/etc/supervisor"


def test_status_lines() -> None:
    output = (
        "webapp1                          RUNNING   pid 12, uptime 0:00:03\n"
        "webapp2                          BACKOFF   Exited too quickly (process log may have details)\n"
        "pool:pool_00                     RUNNING   pid 13, uptime 0:00:01\n"
        "pool:pool_01                     STARTING  \n"
        "missing: ERROR (no such group)\n"
    )
    assert program_states(output) == {
        "webapp1": [("RUNNING", "pid 12, uptime 0:00:03")],
        "webapp2": [("BACKOFF", "Exited too quickly (process log may have details)")],
        "pool": [("RUNNING", "pid 13, uptime 0:00:01"), ("STARTING", "")],
    }


def test_without_a_supervisord_the_error_says_so_and_a_missing_configuration_is_the_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "supervisord"
    directory.mkdir()
    monkeypatch.setenv("SUPERVISORD_CONF_DIR", str(directory))
    lines: list[str] = []
    backend = switcher(SwitchContext(StateDirs(), lines.append))
    process = DeployedProcess(name="webapp1", process_manager="supervisord", out_path=str(tmp_path))
    with socket.socket() as bound:  # bound, not listening: connections are refused
        bound.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound.getsockname()[1]}"
        (directory / "supervisord.conf").write_text(f"[supervisorctl]\nserverurl = {url}\n")
        with pytest.raises(DeployError, match=r"^cannot reach supervisord through .*supervisord\.conf: .*refused"):
            backend.status(process)
    assert lines == []

    (directory / "supervisord.conf").unlink()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "supervisorctl").write_text("#!/bin/sh\necho 'http://localhost:9001 refused connection'\nexit 4\n")
    (bin_dir / "supervisorctl").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    with pytest.raises(DeployError, match="localhost:9001 refused connection"):
        backend.status(process)
    written = (directory / "supervisord.conf").read_text()
    assert "port = 127.0.0.1:9001" in written and "files = conf.d/*" in written
    config = directory / "supervisord.conf"
    assert lines == [f"wrote {config}; supervisord -c {config} runs this deployment"]
