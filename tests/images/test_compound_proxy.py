"""The compound proxy, a sysvinit or disnix image's main process: start, idle, and stop on ``docker stop``.

``docker stop`` sends TERM whenever it is asked, also while the processes
are still starting; the proxy must then finish starting them, stop them and
exit 0, never die of the signal (status 143) and leave them running.
"""
from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from nixproc_disnix.deploy.build import BuildRequest, make_evaluator
from nixproc_disnix.idassign.models import text
from nixproc_disnix.store.builder import build
from nixproc_disnix.store.store import Store

PROXY = """
let pkgs = import <nixpkgs> {}; in
import <nix-processmgmt/nixproc/backends/util/generate-compound-proxy.nix> { inherit (pkgs) stdenv lib writeTextFile; } {
  startCommand = "echo starting; sleep 1; echo started";
  stopCommand = "echo 'stopping now'";
}
"""


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with Store(str(tmp_path_factory.mktemp("proxy") / "root")) as store:
        ev = make_evaluator(store, BuildRequest(None, None, pkgs="host"))
        drv_path = text(ev.force(ev.force(ev.eval_string(PROXY, str(Path.cwd())))["drvPath"]))
        yield build(store, drv_path)["out"]


def run_until(proxy: str, line: str) -> subprocess.Popen[str]:
    """Start the proxy and read its output until ``line``."""
    process = subprocess.Popen([proxy], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "starting"
    if line != "starting":
        assert process.stdout.readline().strip() == line
    return process


@pytest.mark.parametrize("when", ["starting", "started"])
def test_a_stop_runs_the_stop_command_and_exits_0(proxy: str, when: str) -> None:
    process = run_until(proxy, when)
    try:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    # A stop while starting waits for the command running (here: sleep) to end, then stops.
    assert (output.splitlines(), process.returncode) == (["echo 'stopping now'", "stopping now"], 0)


def test_no_path_leaves_path_alone(proxy: str) -> None:
    """An empty entry would make the shell search the working directory."""
    assert "PATH" not in Path(proxy).read_text()
