"""``nixproc logs``: the last lines of a process's output, following it until interrupted, one-line errors."""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from nixproc_disnix.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def append(path: Path, *lines: str) -> None:
    """Append from another process, as the daemonizer does."""
    subprocess.run(["sh", "-c", 'shift; printf "%s\\n" "$@" >> "$0"', str(path), "-", *lines], check=True)


def test_last_lines_of_the_daemon_log(tmp_path: Path) -> None:
    (tmp_path / "log").mkdir()
    append(tmp_path / "log" / "nixproc-webapp.log", *(f"line {i}" for i in range(1, 21)))
    result = CliRunner().invoke(main, ["logs", "-P", "sysvinit", "--state-dir", str(tmp_path), "webapp"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "".join(f"line {i}\n" for i in range(11, 21))
    result = CliRunner().invoke(main, ["logs", "webapp", "-n", "2"],
                                env={"NIXPROC_PROCESS_MANAGER": "sysvinit", "NIXPROC_LOG_DIR": str(tmp_path / "log")})
    assert result.exit_code == 0 and result.stdout == "line 19\nline 20\n"


def test_nothing_found_is_one_line_naming_the_places(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["logs", "-P", "s6-rc", "--log-dir", str(tmp_path), "webapp"])
    assert result.exit_code == 1
    assert result.stderr == f"error: no output of 'webapp' found: looked for {tmp_path}/s6-log/webapp/current\n"


def test_a_process_manager_is_required() -> None:
    result = CliRunner().invoke(main, ["logs", "webapp"], env={"NIXPROC_PROCESS_MANAGER": None})
    assert result.exit_code == 1 and result.stderr == "error: No process manager specified!\n"


def read_line(process: subprocess.Popen[bytes], timeout: float = 10.0) -> bytes:
    """One line of the process's output, or fail after ``timeout`` seconds."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"no output within {timeout} s (got {line!r})"
        byte = os.read(process.stdout.fileno(), 1)
        assert byte, f"output ended (got {line!r})"
        line += byte
    return line


def test_follow_prints_appended_lines_until_interrupted(tmp_path: Path) -> None:
    log = tmp_path / "s6-log" / "webapp" / "current"
    log.parent.mkdir(parents=True)
    append(log, "before 1", "before 2", "before 3")
    process = subprocess.Popen(
        [sys.executable, "-m", "nixproc_disnix", "logs", "-P", "s6-rc", "--log-dir", str(tmp_path), "-f", "-n", "2",
         "webapp"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    try:
        assert read_line(process) == b"before 2\n"
        assert read_line(process) == b"before 3\n"
        append(log, "after 1")
        assert read_line(process) == b"after 1\n"
        log.rename(log.parent / "@4000000000000000.s")  # s6-log rotates
        append(log, "rotated 1", "rotated 2")
        assert read_line(process) == b"rotated 1\n"
        assert read_line(process) == b"rotated 2\n"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert process.stderr is not None and process.stderr.read() == b""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("manager", ["docker", "systemd"])
def test_command_backends_report_a_missing_program(tmp_path: Path, manager: str) -> None:
    result = CliRunner().invoke(main, ["logs", "-P", manager, "webapp"], env={"PATH": str(tmp_path)})
    assert result.exit_code == 1
    program = "docker" if manager == "docker" else "journalctl"
    assert result.stderr.startswith(f"error: cannot read the output of 'webapp': {program} is not installed (apt-get ")
