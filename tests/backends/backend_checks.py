"""What the backend tests share: syntax and lint checks of generated scripts, and watching real processes.

Every process a test starts is found again by a unique marker in its
environment (:class:`Reaper`), so teardown can kill it by PID even when the
test failed before it learned the PID.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nixproc_disnix.backends.common.backend import Generated
from nixproc_disnix.backends.common.output import OUT_PLACEHOLDER, GeneratedFile

HOSTILE = [
    "it's",
    '"double" quotes',
    "$HOME ${HOME} $(touch pwned) `touch pwned`",
    "new\nline\n",
    "spaces  and\ttab ",
    "back\\slash\\",
    "semi; colon && pipe | amp & > redirect ;comment #hash",
    "100% %(here)s %(ENV_HOME)s %%",
    "*glob? [x] ~tilde !bang",
    "-n",
    "",
]
"""Values that break a command line, an INI value or a shell word if quoted carelessly."""


def python_program(path: Path, source: str) -> Path:
    """An executable Python script at ``path`` (parents created), run by this interpreter."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\n{source}")
    path.chmod(0o755)
    return path


def assert_golden(root: Path, generated: Generated) -> None:
    """``generated``'s files equal the tree under ``root``, the output's own path written as a
    fixed store path; with ``NIXPROC_UPDATE_GOLDEN=1`` the tree is rewritten instead."""
    out = "/nix/store/" + "5" * 32 + "-" + generated.name
    files = {}
    for path, entry in generated.files.items():
        assert isinstance(entry, GeneratedFile), path
        files[path] = (entry.content.replace(OUT_PLACEHOLDER, out), entry.executable)
    if os.environ.get("NIXPROC_UPDATE_GOLDEN"):
        shutil.rmtree(root, ignore_errors=True)
        for path, (content, executable) in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(content)
            (root / path).chmod(0o755 if executable else 0o644)
    golden = {
        str(path.relative_to(root)): (path.read_text(), os.access(path, os.X_OK))
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
    assert files == golden


def bash_syntax_ok(script: str) -> None:
    bash = shutil.which("bash")
    assert bash is not None, "bash is required"
    result = subprocess.run([bash, "-n"], input=script, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def shellcheck_ok(script: str) -> None:
    """ShellCheck at warning level: style notes (e.g. quoting the user's ``initialize``) are not our output's."""
    assert shutil.which("shellcheck") is not None, "shellcheck is required"
    result = subprocess.run(["shellcheck", "-S", "warning", "-"], input=script, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def environ_of(pid: int) -> dict[bytes, bytes]:
    entries = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(entry.split(b"=", 1) for entry in entries if b"=" in entry)


def argv_of(pid: int) -> list[bytes]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text())
    except (FileNotFoundError, ValueError):
        return None


class Reaper:
    """A marker for the environment of processes a test starts, and their killer at teardown."""

    variable = "NIXPROC_TEST_MARKER"

    def __init__(self) -> None:
        self.marker = uuid.uuid4().hex

    def environment(self) -> dict[str, str]:
        return {self.variable: self.marker}

    def pids(self) -> list[int]:
        needle = f"{self.variable}={self.marker}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if needle in entry.joinpath("environ").read_bytes().split(b"\0"):
                        found.append(int(entry.name))
                except (FileNotFoundError, ProcessLookupError, PermissionError):
                    pass
        return found

    def kill_all(self) -> None:
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def free_port() -> int:
    """A TCP port nothing on 127.0.0.1 listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def accepts(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


READINESS_SERVER = Path(__file__).resolve().parents[1] / "fixtures/readiness/server.py"


def delayed_server(port: int, delay: float, environment: dict[str, str], python: str = sys.executable,
                   **readiness: Any) -> dict[str, Any]:
    """createManagedProcess parameters of a foreground server that listens on ``port`` after ``delay`` seconds,
    with a readiness check of that port (``readiness`` adds to or replaces it: another ``tcpPort``, a timeout)."""
    return {
        "foregroundProcess": python,
        "foregroundProcessArgs": [str(READINESS_SERVER)],
        "environment": {"PORT": port, "DELAY": delay, **environment},
        "readiness": {"tcpPort": port, "interval": 0.1, **readiness},
    }
