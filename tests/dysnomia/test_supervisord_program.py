"""``supervisord-program`` against a real supervisord running from a temporary directory.

The supervisord includes the programs linked into its ``conf.d`` and is
controlled over HTTP on 127.0.0.1, the way a supervisord deployed as a
service container is (``supervisordTargetDir``, ``supervisordServerUrl``).
The programs are the supervisord backend's output for agnostic
configurations, through ``managed-process``, and a hand-written one.
"""
from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Reaper, answers, free_port, module_call, silent, wait_for
from test_process_modules import agnostic_component

from nixproc_disnix.dysnomia.modules import run_module
from nixproc_disnix.errors import DeployError
from nixproc_disnix.store.store import Store

pytestmark = pytest.mark.integration


class Supervisord:
    def __init__(self, root: Path, state: Path) -> None:
        self.port = free_port()
        self.target_dir = root / "conf.d"
        self.target_dir.mkdir()
        self.config = root / "supervisord.conf"
        self.config.write_text(
            f"[supervisord]\npidfile={state}/run/supervisord.pid\nlogfile={state}/log/supervisord.log\n"
            f"childlogdir={state}/log\n"
            f"[inet_http_server]\nport=127.0.0.1:{self.port}\n"
            "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
            f"[include]\nfiles={self.target_dir}/*.conf\n"
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def properties(self) -> dict[str, str]:
        return {"supervisordTargetDir": str(self.target_dir), "supervisordServerUrl": self.url}

    def status(self) -> str:
        return subprocess.run(["supervisorctl", "-s", self.url, "status"], capture_output=True, text=True).stdout


@pytest.fixture
def supervisord(tmp_path: Path, state: Path, reaper: Reaper) -> Iterator[Supervisord]:
    """A supervisord daemon of this test (its PID file is under ``state``, so teardown kills it)."""
    started = Supervisord(tmp_path, state)
    subprocess.run(["supervisord", "-c", str(started.config)], env={**reaper.environment(), "PATH": "/usr/bin:/bin"},
                   check=True)
    assert wait_for(lambda: subprocess.run(["supervisorctl", "-s", started.url, "pid"],
                                           capture_output=True).returncode == 0)
    yield started


def test_managed_processes_become_supervisord_programs(supervisord: Supervisord, store: Store, tmp_path: Path,
                                                       state: Path) -> None:
    ports = {"web1": free_port(), "web2": free_port()}
    paths = {name: agnostic_component(tmp_path / name, name, port) for name, port in ports.items()}
    environment = {**supervisord.properties(), "processManager": "supervisord", "NIXPROC_STORE_DIR": store.store_dir,
                   "stateDir": str(state), "forceDisableUserChange": "1", "DYSNOMIA_STATEDIR": str(tmp_path / "ds")}
    for name in ports:
        run_module(module_call("managed-process", "activate", paths[name], environment))
    assert answers(ports["web1"], "web1") and answers(ports["web2"], "web2")
    assert sorted(path.name for path in supervisord.target_dir.iterdir()) == ["web1.conf", "web2.conf"]
    run_module(module_call("managed-process", "deactivate", paths["web1"], environment))
    assert silent(ports["web1"]) and answers(ports["web2"], "web2")
    assert "web1" not in supervisord.status() and "web2" in supervisord.status()
    run_module(module_call("managed-process", "deactivate", paths["web2"], environment))
    assert silent(ports["web2"]) and [*supervisord.target_dir.iterdir()] == []


def test_a_program_supervisord_refuses_is_removed_again(supervisord: Supervisord, tmp_path: Path) -> None:
    component = tmp_path / "broken"
    (component / "conf.d").mkdir(parents=True)
    (component / "conf.d/broken.conf").write_text("[program:broken]\nstartsecs=0\n")  # no command
    lines: list[str] = []
    with pytest.raises(DeployError, match="supervisord-program: 'supervisorctl -s .* reread' failed"):
        run_module(module_call("supervisord-program", "activate", component, supervisord.properties(), lines=lines))
    assert any("command" in line for line in lines)
    assert [*supervisord.target_dir.iterdir()] == [] and "broken" not in supervisord.status()
