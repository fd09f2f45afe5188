"""A real Docker engine for tests: ``dockerd`` in its own network, mount and PID namespaces.

The daemon gets a private data root (vfs storage: no overlay mounts needed)
and exec root under a temporary directory, no bridge and no iptables rules,
so its containers run with ``--network none`` or ``--network host`` (the
namespace's own loopback: nothing they bind reaches the machine; a test
talks to them with :meth:`Dockerd.in_network`). Its socket is a file in the
temporary directory, so the ``docker`` client runs outside the namespaces.
The daemon is the child of the namespace's first process; stopping the
harness stops it with TERM, and killing that first process (``unshare
--kill-child``) ends every process left in the PID namespace (containerd,
its shims, the containers), whatever happened to the test.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def why_not() -> str | None:
    """Why a namespaced dockerd cannot run here, or None."""
    if os.geteuid() != 0:
        return "a namespaced dockerd needs root"
    tools = ("unshare", "nsenter", "ip", "dockerd", "docker", "containerd", "runc")
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        return f"a namespaced dockerd needs {', '.join(missing)} (Debian: util-linux, iproute2, docker.io)"
    return None


class Dockerd:
    """A running daemon; ``docker(...)`` runs the client against it."""

    def __init__(self, base: Path, process: subprocess.Popen[bytes]) -> None:
        self.base = base
        self.process = process
        self.socket = base / "docker.sock"
        self.log = base / "dockerd.log"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "DOCKER_HOST": f"unix://{self.socket}", "DOCKER_CONFIG": str(self.base / "client")}

    def docker(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["docker", *args], capture_output=True, text=True, env=self.env, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
                                 f"\n--- dockerd log ---\n{self.log_tail()}")
        return result

    def in_network(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in the daemon's network namespace, where ``--network host`` containers listen."""
        return subprocess.run(["nsenter", f"--net=/proc/{self.process.pid}/ns/net", *argv], capture_output=True,
                              text=True, timeout=timeout)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _wait_until_ready(daemon: Dockerd, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon.process.poll() is not None:
            raise RuntimeError(f"dockerd exited {daemon.process.returncode}:\n{daemon.log_tail()}")
        if daemon.socket.exists() and daemon.docker("version", check=False, timeout=10).returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError(f"dockerd did not answer within {timeout} s:\n{daemon.log_tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """TERM to dockerd (the namespace's first process is unshare's child), then KILL the whole namespace."""
    if process.poll() is None:
        try:
            children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        except OSError:
            children = []
        for child in children:
            try:
                os.kill(int(child), signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    if process.poll() is None:
        process.kill()  # --kill-child: the namespace's init dies, and with it every process in the namespace
        process.wait(timeout=20)


@contextmanager
def namespaced_dockerd(base: Path, timeout: float = 60) -> Iterator[Dockerd]:
    """Start dockerd with its state under ``base`` (removed afterwards, layers and all)."""
    base.mkdir(parents=True, exist_ok=True)
    script = f"""
        set -e
        mount -t tmpfs none /run
        mkdir -p /run/dk
        ip link set lo up
        exec dockerd --data-root '{base}/data' --exec-root /run/dk/exec --pidfile /run/dk/docker.pid \\
            -H 'unix://{base}/docker.sock' --iptables=false --ip6tables=false --bridge=none \\
            --storage-driver=vfs --log-level=warn > '{base}/dockerd.log' 2>&1
    """
    process = subprocess.Popen(
        ["unshare", "--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "bash", "-c", script],
        stdin=subprocess.DEVNULL, start_new_session=True,
    )
    daemon = Dockerd(base, process)
    try:
        _wait_until_ready(daemon, timeout)
        yield daemon
    finally:
        _stop(process)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def dockerd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dockerd]:
    """A namespaced dockerd for the module's tests; skipped where one cannot run."""
    reason = why_not()
    if reason:
        pytest.skip(reason)
    # A short path: the socket's path must fit in sockaddr_un (108 bytes).
    base = Path(tmp_path_factory.mktemp("dockerd"))
    try:
        with namespaced_dockerd(base) as daemon:
            yield daemon
    except RuntimeError as error:
        pytest.fail(str(error))
