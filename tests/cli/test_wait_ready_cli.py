"""``nixproc-wait-ready``: exit 0 once the process is ready, 1 with one line when it is not, as generated files use it."""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from nixproc_disnix.backends.common.readiness import WAIT_READY, wait_ready_argv
from nixproc_disnix.cli.wait_ready import nixproc_wait_ready
from nixproc_disnix.model.readiness import Readiness


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def delayed_listener() -> Iterator[int]:
    """A port that starts accepting connections half a second from now."""
    port = free_port()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    timer = threading.Timer(0.5, lambda: (server.bind(("127.0.0.1", port)), server.listen()))
    timer.start()
    try:
        yield port
    finally:
        timer.cancel()
        timer.join()
        server.close()


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(nixproc_wait_ready, list(args))
    return result.exit_code, result.stderr


def test_waits_until_the_port_opens(delayed_listener: int) -> None:
    started = time.monotonic()
    assert invoke("--tcp-port", str(delayed_listener), "--timeout", "10", "--interval", "0.1") == (0, "")
    assert time.monotonic() - started >= 0.4


def test_a_timeout_is_one_line_naming_the_process() -> None:
    port = free_port()
    assert invoke("--name", "web", "--tcp-port", str(port), "--timeout", "0.3", "--interval", "0.1") == (
        1, f"error: process 'web' was not ready after 0.3 s (TCP port {port} on 127.0.0.1 not accepting connections)\n"
    )


def test_once_tries_a_single_time(tmp_path: Path) -> None:
    ok, later = tmp_path / "ok", tmp_path / "later"
    ok.touch()
    assert invoke("--once", "--timeout", "5", "--", "test", "-e", str(ok)) == (0, "")
    started = time.monotonic()
    assert invoke("--name", "web", "--once", "--timeout", "5", "--", "test", "-e", str(later)) == (
        1, "error: process 'web' is not ready yet (command 'test' did not exit 0)\n"
    )
    assert time.monotonic() - started < 2


def test_log_line(tmp_path: Path) -> None:
    log = tmp_path / "web.log"
    log.write_text("starting\nlistening on 8080\n")
    assert invoke("--once", "--log-line", r"^listening on \d+$", "--log-file", str(log)) == (0, "")
    assert invoke("--once", "--log-line", r"^ready$", "--log-file", str(tmp_path / "missing.log"))[0] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give exactly one check: --tcp-port, --http, --log-line or -- COMMAND"),
        (["--tcp-port", "80", "--", "true"], "give exactly one check: --tcp-port, --http, --log-line or -- COMMAND"),
        (["--log-line", "x"], "--log-line needs --log-file"),
        (["--http", "https://127.0.0.1/"], "invalid readiness check: http: Value error, must be an http:// URL"),
    ],
)
def test_usage_errors_are_one_line(args: list[str], message: str) -> None:
    assert invoke(*args) == (1, f"error: {message}\n")


@pytest.mark.parametrize(
    "readiness",
    [
        Readiness(tcp_port=1, timeout=0.2, interval=0.1),
        Readiness(http="http://127.0.0.1:1/", timeout=0.2, interval=0.1),
        Readiness(command=[sys.executable, "-c", "raise SystemExit(3)", "--timeout", "-n"], timeout=0.2, interval=0.1),
    ],
)
def test_the_installed_script_runs_the_argv_backends_generate(readiness: Readiness) -> None:
    """What generated files run: the console script by its path, with every check's arguments intact."""
    argv = wait_ready_argv(readiness, "web")
    assert argv is not None and argv[0] == WAIT_READY
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("error: process 'web' was not ready after 0.2 s (")
    once = wait_ready_argv(readiness, "web", once=True)
    assert once is not None and subprocess.run(once, capture_output=True, timeout=30).returncode == 1


def test_log_line_needs_a_file_to_be_generated() -> None:
    assert wait_ready_argv(Readiness(log_line="ready"), "web") is None
    assert wait_ready_argv(Readiness(log_line="-ready"), "web", program="w", log_file="/l") == [
        "w", "--name", "web", "--timeout", "30", "--interval", "0.5", "--log-line", "-ready", "--log-file", "/l"
    ]
