"""Readiness checks: each kind passes when the process is ready and times out with a clear line when not."""
from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from nixproc_disnix.deploy.readiness import file_text, from_now_on, is_ready, wait_until_ready
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.process import ProcessParams
from nixproc_disnix.model.readiness import Readiness


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def listener() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


@pytest.fixture
def http_server() -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/ok" else 503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_tcp(listener: int) -> None:
    assert is_ready(Readiness(tcp_port=listener))
    assert not is_ready(Readiness(tcp_port=free_port(), interval=0.1))


def test_http(http_server: int) -> None:
    assert is_ready(Readiness(http=f"http://127.0.0.1:{http_server}/ok"))
    assert not is_ready(Readiness(http=f"http://127.0.0.1:{http_server}/starting"))
    with pytest.raises(DeployError, match="not on this machine"):
        is_ready(Readiness(http="http://example.org/"))


def test_command() -> None:
    assert is_ready(Readiness(command=[sys.executable, "-c", "raise SystemExit(0)"]))
    assert not is_ready(Readiness(command=[sys.executable, "-c", "raise SystemExit(1)"]))
    assert not is_ready(Readiness(command=["/nonexistent/check"]))


def test_log_line(tmp_path: Path) -> None:
    log = tmp_path / "nixproc-web.log"
    check = Readiness(log_line=r"^listening on \d+$")
    assert not is_ready(check, file_text(str(log)))
    log.write_text("starting\nlistening on 8080\n")
    assert is_ready(check, file_text(str(log)))
    with pytest.raises(DeployError, match="needs the process's output"):
        is_ready(check)


def test_a_log_line_check_from_now_on_ignores_an_earlier_runs_line(tmp_path: Path) -> None:
    log = tmp_path / "nixproc-web.log"
    log.write_text("starting\nlistening on 8080\nstopped\n")
    check = Readiness(log_line=r"^listening on \d+$")
    fresh = from_now_on(file_text(str(log)))
    assert not is_ready(check, fresh)
    with log.open("a") as handle:
        handle.write("starting\n")
    assert not is_ready(check, fresh)
    with log.open("a") as handle:
        handle.write("listening on 8080\n")
    assert is_ready(check, fresh)
    log.write_text("listening on 8080\n")  # rotated: shorter than before, read whole
    assert is_ready(check, fresh)


def test_timeout_names_the_process_and_the_check() -> None:
    readiness = Readiness(tcp_port=free_port(), timeout=0.3, interval=0.1)
    with pytest.raises(DeployError, match=r"process 'web' was not ready after 0.3 s \(TCP port \d+"):
        wait_until_ready("web", readiness)


def test_the_model_takes_exactly_one_check() -> None:
    assert ProcessParams.from_data({"name": "w", "readiness": {"tcpPort": 80}}).readiness == Readiness(tcp_port=80)
    for bad in ({}, {"tcpPort": 80, "logLine": "x"}, {"http": "ftp://x"}, {"logLine": "("}, {"tcpPort": 0}):
        with pytest.raises(Exception, match="readiness"):
            ProcessParams.from_data({"name": "w", "readiness": bad})
