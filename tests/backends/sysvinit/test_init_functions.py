"""Our init functions library: the LFS/LSB interface, its status codes, under bash and dash, shellcheck-clean.

Every process a test starts writes its PID into a file the ``pids`` fixture
collects; teardown kills each of them by PID.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nixproc_disnix.backends.sysvinit.generate import init_functions_library

SHELLS = [shell for shell in ("bash", "dash") if shutil.which(shell)]


@pytest.fixture
def library(tmp_path: Path) -> Path:
    path = tmp_path / "init-functions"
    path.write_text(init_functions_library())
    return path


@pytest.fixture
def pids(tmp_path: Path) -> Iterator[Path]:
    """A directory for PID files; whatever they name is killed at teardown."""
    directory = tmp_path / "pids"
    directory.mkdir()
    yield directory
    for pid_file in directory.iterdir():
        for word in pid_file.read_text().split():
            try:
                os.kill(int(word), signal.SIGKILL)
            except (ValueError, ProcessLookupError):
                pass


def run(shell: str, library: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``code`` after sourcing the library, in ``shell``."""
    return subprocess.run(
        [shell, "-c", f'. "$LIBRARY"\n{code}'], capture_output=True, text=True, timeout=30,
        env={**os.environ, "LIBRARY": str(library), "TERM": "dumb", **env},
    )


def background(pid_file: Path, command: str = "sleep 30") -> str:
    """Shell that starts ``command`` detached and records its PID in ``pid_file``."""
    return f"{command} >/dev/null 2>&1 &\necho $! > '{pid_file}'\n"


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_shellcheck_clean(shell: str, library: Path) -> None:
    assert shutil.which("shellcheck"), "shellcheck is required (Debian: apt-get install shellcheck)"
    result = subprocess.run(["shellcheck", "-s", shell, str(library)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("shell", SHELLS)
def test_messages_and_evaluate_retval(shell: str, library: Path) -> None:
    result = run(shell, library, """
        log_info_msg "Starting x..."; true; evaluate_retval; echo "status=$?"
        log_info_msg "Stopping x..."; (exit 3); evaluate_retval; echo "status=$?"
        log_success_msg done; log_failure_msg broken; log_warning_msg careful
    """)
    assert result.stdout == (
        "Starting x... [  OK  ]\nstatus=0\nStopping x... [ FAIL ]\nstatus=3\n"
        "done [  OK  ]\nbroken [ FAIL ]\ncareful [ WARN ]\n"
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_status_codes(shell: str, library: Path, pids: Path, tmp_path: Path) -> None:
    pid_file = pids / "sleep.pid"
    result = run(shell, library, f"""
        statusproc -p '{pid_file}' /bin/sleep; echo "absent=$?"
        {background(pid_file)}
        statusproc -p '{pid_file}' /bin/sleep; echo "running=$?"
        pidofproc -s -p '{pid_file}' /bin/sleep; echo "silent=$?"
        echo 999999999 > '{tmp_path}/stale.pid'
        statusproc -p '{tmp_path}/stale.pid' /bin/sleep; echo "stale=$?"
        statusproc; echo "usage=$?"
    """)
    pid = pid_file.read_text().strip()
    assert result.stdout.splitlines() == [
        "sleep is not running.", "absent=3",
        f"sleep is running with Process ID(s) {pid}.", "running=0",
        "silent=0",
        f"sleep is not running but {tmp_path}/stale.pid exists.", "stale=1",
        "Usage: statusproc [-p pidfile] pathname [ FAIL ]", "usage=4",
    ]


def test_a_zombie_is_not_running(library: Path, pids: Path) -> None:
    """A parent that never reaps (here: one that execs into sleep) leaves its exited child a zombie."""
    pid_file = pids / "zombie.pid"
    parent = pids / "parent.pid"
    subprocess.run(
        ["bash", "-c", f"(sleep 0.3 & echo $! > '{pid_file}'; exec sleep 30) >/dev/null 2>&1 & echo $! > '{parent}'"],
        check=True,
    )
    deadline = time.monotonic() + 5
    while not pid_file.exists() or not pid_file.read_text().strip() or alive(int(pid_file.read_text())):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert Path(f"/proc/{pid_file.read_text().strip()}").exists(), "exited but not reaped"
    result = run("bash", library, f"statusproc -p '{pid_file}' /bin/sleep")
    assert result.returncode == 1 and "is not running but" in result.stdout


@pytest.mark.parametrize("shell", SHELLS)
def test_killproc_terminates_and_removes_the_pid_file(shell: str, library: Path, pids: Path) -> None:
    pid_file = pids / "sleep.pid"
    result = run(shell, library, f"{background(pid_file)}killproc -p '{pid_file}' /bin/sleep; echo \"stop=$?\"")
    assert result.stdout == "stop=0\n"
    assert not pid_file.exists()


def test_killproc_kills_what_ignores_term_after_killdelay(library: Path, pids: Path) -> None:
    record = pids / "record"
    pid_file = pids / "stubborn.pid"
    started = time.monotonic()
    result = run("bash", library, f"""
        sh -c 'trap "" TERM; touch {pids}/ready; while :; do sleep 0.1; done' >/dev/null 2>&1 &
        echo $! > '{pid_file}'; cp '{pid_file}' '{record}'
        while [ ! -e '{pids}/ready' ]; do sleep 0.05; done
        killproc -p '{pid_file}' /bin/sh; echo "stop=$?"
    """, KILLDELAY="1")
    assert result.stdout == "stop=0\n"
    assert 1 <= time.monotonic() - started < 10
    assert not alive(int(record.read_text())) and not pid_file.exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_killproc_with_a_signal_only_sends_it(shell: str, library: Path, pids: Path, tmp_path: Path) -> None:
    pid_file = pids / "hup.pid"
    received = tmp_path / "received"
    result = run(shell, library, f"""
        sh -c 'trap "echo HUP >> {received}" HUP; touch {tmp_path}/ready; while :; do sleep 0.1; done' >/dev/null 2>&1 &
        echo $! > '{pid_file}'
        while [ ! -e '{tmp_path}/ready' ]; do sleep 0.05; done
        killproc -p '{pid_file}' /bin/sh -HUP; echo "hup=$?"; sleep 0.5
        killproc -p '{pid_file}' /bin/sh HUP; echo "hup=$?"; sleep 0.5
    """)
    assert result.stdout == "hup=0\nhup=0\n"
    assert received.read_text() == "HUP\nHUP\n"
    assert alive(int(pid_file.read_text()))


@pytest.mark.parametrize("shell", SHELLS)
def test_killproc_of_what_does_not_run(shell: str, library: Path, tmp_path: Path) -> None:
    stale = tmp_path / "stale.pid"
    result = run(shell, library, f"""
        echo 999999999 > '{stale}'
        killproc -p '{stale}' /bin/sleep -HUP; echo "signal=$?"
        echo 999999999 > '{stale}'
        killproc -p '{stale}' /bin/sleep; echo "stop=$?"
        killproc -p '{tmp_path}/absent.pid' /bin/sleep; echo "absent=$?"
    """)
    assert result.stdout == "signal=7\nstop=0\nabsent=0\n"
    assert not stale.exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_start_daemon(shell: str, library: Path, pids: Path, tmp_path: Path) -> None:
    pid_file = pids / "daemon.pid"
    starts = tmp_path / "starts"
    daemon = f"sh -c 'echo start >> {starts}; sleep 30 >/dev/null 2>&1 & echo $! > {pid_file}'"
    result = run(shell, library, f"""
        echo 999999999 > '{pid_file}'
        start_daemon -p '{pid_file}' {daemon}; echo "first=$?"
        start_daemon -p '{pid_file}' {daemon}; echo "again=$?"
        cp '{pid_file}' '{pids}/first.pid'
        start_daemon -f -n 7 -p '{pid_file}' sh -c 'echo "$(cut -d" " -f19 /proc/self/stat)" > {tmp_path}/nice'
        echo "forced=$?"
        start_daemon -p '{tmp_path}/other.pid' false; echo "failed=$?"
        start_daemon; echo "usage=$?"
    """)
    assert result.stdout.splitlines() == [
        "first=0", "again=0", "forced=0", "failed=1",
        "Usage: start_daemon [-f] [-n nicelevel] [-p pidfile] pathname [args...] [ FAIL ]", "usage=2",
    ]
    assert starts.read_text() == "start\n", "already running: not started again"
    assert (tmp_path / "nice").read_text().strip() == str(min(7 + os.getpriority(os.PRIO_PROCESS, 0), 19))
