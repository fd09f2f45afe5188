"""nixproc-supervisord-switch for real: the webapps model in a real supervisord, changed, rolled back, undeployed.

Each test has a temporary ``SUPERVISORD_CONF_DIR`` of its own; the switch
writes its configuration (a socket there, ``conf.d/*`` included) and starts
its supervisord, with a marker in the environment that supervisord and its
programs inherit; at teardown supervisord is asked to stop (its PID file)
and then everything with the marker is killed by PID. The webapps' programs say ``startretries=0`` (through
``overrides.supervisord``), so supervisord gives up a program that dies at
once after one try rather than after three more, seconds apart.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import stat
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

class Supervisord:
    """The supervisord of a configuration directory of the test's own (``SUPERVISORD_CONF_DIR``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.config = self.directory / "supervisord.conf"

    @property
    def main_pid(self) -> int:
        return int((self.directory / "supervisord.pid").read_text())

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["supervisorctl", "-c", str(self.config), *args], capture_output=True, text=True)

    def pid(self, name: str) -> int | None:
        """The PID of a RUNNING program."""
        match = re.search(rf"^{name}\s+RUNNING\s+pid (\d+),", self.ctl("status").stdout, re.MULTILINE)
        return int(match.group(1)) if match else None

    def programs(self) -> dict[str, str]:
        return {name: states[0][0] for name, states in program_states(self.ctl("status").stdout).items()}

    def stop(self) -> None:
        """TERM to the supervisord of the PID file, if one runs; wait up to 10 s for it to end."""
        try:
            pid = self.main_pid
            os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError):
            return
        deadline = time.monotonic() + 10
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)


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
    monkeypatch.setenv(MARKER_VARIABLE, marker)
    running = Supervisord(directory)
    try:
        yield running
    finally:
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
    assert not supervisord.config.exists()
    plan = deployment.switch()
    assert [[process.name for process in level] for level in plan.start] == [["webapp1"], ["webapp2"]]
    assert deployment.answer("webapp1") == "webapp1" and deployment.answer("webapp2") == "webapp2"
    # The switch wrote the configuration and started its supervisord; only root may use its socket.
    main_pid = supervisord.main_pid
    assert stat.S_IMODE((supervisord.directory / "supervisor.sock").stat().st_mode) == 0o700
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
    assert supervisord.main_pid == main_pid, "a running supervisord is used, not started again"
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


def test_a_supervisord_that_cannot_start_is_the_error_and_a_missing_configuration_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "supervisord"
    directory.mkdir()
    monkeypatch.setenv("SUPERVISORD_CONF_DIR", str(directory))
    lines: list[str] = []
    backend = switcher(SwitchContext(StateDirs(), lines.append))
    process = DeployedProcess(name="webapp1", process_manager="supervisord", out_path=str(tmp_path))
    config = directory / "supervisord.conf"
    with socket.socket() as bound:  # bound, not listening: connections are refused
        bound.bind(("127.0.0.1", 0))
        config.write_text(f"[supervisorctl]\nserverurl = http://127.0.0.1:{bound.getsockname()[1]}\n")
        with pytest.raises(DeployError, match=rf"^cannot start supervisord -c {re.escape(str(config))}: "
                                              r"Error: .ini file does not include supervisord section"):
            backend.status(process)
    assert lines == []

    config.unlink()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "supervisorctl").write_text("#!/bin/sh\necho 'unix:///x/supervisor.sock no such file'\nexit 4\n")
    (bin_dir / "supervisord").write_text("#!/bin/sh\necho 'Error: Cannot open an HTTP server: socket.error'\nexit 2\n")
    for program in ("supervisorctl", "supervisord"):
        (bin_dir / program).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    with pytest.raises(DeployError, match="Cannot open an HTTP server"):
        backend.status(process)
    written = config.read_text()
    assert "file = %(here)s/supervisor.sock\nchmod = 0700\n" in written
    assert "serverurl = unix://%(here)s/supervisor.sock" in written and "files = conf.d/*" in written
    assert "inet_http_server" not in written
    assert lines == [f"wrote {config}; supervisord -c {config} runs this deployment"]
