"""Waiting until a started process is ready (see :mod:`nixproc_disnix.model.readiness`).

Every check talks only to this machine: TCP and HTTP checks go to
127.0.0.1, commands run without a shell, log checks read a local file.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from nixproc_disnix.errors import DeployError, LogsError
from nixproc_disnix.model.readiness import Readiness
from nixproc_disnix.model.state_dirs import StateDirs


LogText = Callable[[], str]
"""Reads the process's output so far (for ``logLine`` checks)."""


def is_ready(readiness: Readiness, log_text: LogText | None = None) -> bool:
    """One attempt of the check."""
    if readiness.tcp_port is not None:
        return _tcp_open(readiness.tcp_port, readiness.interval)
    if readiness.http is not None:
        return _http_ok(readiness.http, readiness.interval)
    if readiness.command is not None:
        return _command_succeeds(readiness.command, readiness.timeout)
    if log_text is None:
        raise DeployError("a logLine readiness check needs the process's output")
    return re.search(readiness.log_line or "", log_text(), re.MULTILINE) is not None


def wait_until_ready(
    name: str, readiness: Readiness, log_text: LogText | None = None, clock: Callable[[], float] = time.monotonic
) -> None:
    """Poll the check every ``interval`` until it passes; a timeout is a :class:`DeployError` naming the process."""
    deadline = clock() + readiness.timeout
    while not is_ready(readiness, log_text):
        if clock() >= deadline:
            raise DeployError(f"process '{name}' was not ready after {readiness.timeout} s ({describe(readiness)})")
        time.sleep(readiness.interval)


def check_ready(name: str, readiness: Readiness, log_file: str | None = None, once: bool = False) -> None:
    """``nixproc-wait-ready``: wait until process ``name`` is ready, or with ``once`` try a single time.

    ``log_file`` is what a ``logLine`` check reads. Not ready is a
    :class:`DeployError` naming the process and the check.
    """
    log_text = None if log_file is None else file_text(log_file)
    if not once:
        wait_until_ready(name, readiness, log_text)
    elif not is_ready(readiness, log_text):
        raise DeployError(f"process '{name}' is not ready yet ({describe(readiness)})")


def describe(readiness: Readiness) -> str:
    """The check in words, for messages."""
    if readiness.tcp_port is not None:
        return f"TCP port {readiness.tcp_port} on 127.0.0.1 not accepting connections"
    if readiness.http is not None:
        return f"GET {readiness.http} did not answer 2xx"
    if readiness.command is not None:
        return f"command {readiness.command[0]!r} did not exit 0"
    return f"no log line matching {readiness.log_line!r}"


def _tcp_open(port: int, timeout: float) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def _http_ok(url: str, timeout: float) -> bool:
    host = urllib.request.urlparse(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise DeployError(f"readiness URL {url!r} is not on this machine (use 127.0.0.1)")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


def _command_succeeds(command: list[str], timeout: float) -> bool:
    try:
        return subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=timeout, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def from_now_on(read: LogText) -> LogText:
    """A reader of what ``read`` gives beyond what it gives now: taken before a start, a log-line check then
    cannot pass on the line an earlier run of the process left in the same log. A log shorter than before was
    rotated or truncated, and is read whole."""
    seen = len(read())

    def read_new() -> str:
        text = read()
        return text[seen:] if len(text) >= seen else text

    return read_new


def file_text(path: str) -> LogText:
    """A reader of a log file that may not exist yet."""

    def read() -> str:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except FileNotFoundError:
            return ""

    return read


def process_output(process_manager: str, name: str, state_dirs: StateDirs, systemd_user: bool = False) -> LogText:
    """A reader of what a deployed process has written so far, wherever its manager keeps it (``nixproc logs``)."""
    from nixproc_disnix.logs import (
        LogFiles,
        LogSettings,
        command_output,
        find_log_file,
        locate_log,
        supervisord_logs,
    )

    def read() -> str:
        settings = LogSettings(
            backend=state_dirs.backend_settings(),
            supervisord=supervisord_logs(os.environ.get("SUPERVISORD_CONF_DIR"), name),
            systemd_user=systemd_user,
        )
        source = locate_log(process_manager, name, settings)
        if isinstance(source, LogFiles):
            try:
                return file_text(find_log_file(source, name))()
            except LogsError:
                return ""
        return b"".join(command_output(source, name, 100000, follow=False)).decode("utf-8", "replace")

    return read
