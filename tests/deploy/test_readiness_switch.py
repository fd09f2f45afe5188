"""A switch waits for a process's readiness before starting its dependents, and rolls back on a timeout."""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from webapps_deployment import free_port, kill_marked

from nixproc_disnix.deploy.build import BuildRequest
from nixproc_disnix.deploy.readiness import is_ready, wait_until_ready
from nixproc_disnix.deploy.switch import SwitchOptions, switch
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.readiness import Readiness
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store import profiles
from nixproc_disnix.store.store import Store

pytestmark = pytest.mark.integration

MODEL = Path(__file__).resolve().parents[1] / "fixtures/readiness/processes.nix"


@pytest.fixture
def marker(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    token = uuid.uuid4().hex
    monkeypatch.setenv("NIXPROC_TEST_MARKER", token)
    yield token
    kill_marked(token)


def deploy(tmp_path: Path, ports: dict[str, int], lines: list[str] | None = None, **params: int) -> None:
    """Switch to the model; ``lines`` collects what the switch reports."""
    state = StateDirs(state_dir=str(tmp_path / "state"), force_disable_user_change=True)
    arguments = {"upstreamPort": ports["upstream"], "downstreamPort": ports["downstream"], **params}
    extra = "{ " + " ".join(f"{name} = {value};" for name, value in arguments.items()) + " }"
    options = SwitchOptions("sysvinit", str(tmp_path / "profiles" / "processes"), state_dirs=state, runlevel="3")
    report = [] if lines is None else lines
    with Store(str(tmp_path / "root")) as store:
        switch(store, options, BuildRequest("sysvinit", str(MODEL), state, extra_params=extra), report.append)


def test_dependents_start_once_their_dependency_is_ready(tmp_path: Path, marker: str) -> None:
    ports = {"upstream": free_port(), "downstream": free_port()}
    deploy(tmp_path, ports)
    # downstream exits at once when upstream does not answer: it listening proves the order.
    wait_until_ready("downstream", Readiness(tcp_port=ports["downstream"], timeout=5, interval=0.1))


def test_a_readiness_timeout_rolls_the_switch_back(tmp_path: Path, marker: str) -> None:
    """The sysvinit script's start waits for readiness itself, so it is the start that fails, saying why."""
    ports = {"upstream": free_port(), "downstream": free_port()}
    lines: list[str] = []
    with pytest.raises(DeployError, match=r"cannot start upstream: .* exited with status 1; rolled back"):
        deploy(tmp_path, ports, lines, readinessPort=free_port(), readinessTimeout=1)
    assert any(re.fullmatch(r"error: process 'upstream' was not ready after 1 s \(TCP port \d+ .*\)", line)
               for line in lines), lines
    assert profiles.list_generations(str(tmp_path / "profiles" / "processes")) == []
    assert not is_ready(Readiness(tcp_port=ports["upstream"], interval=0.1))
    assert not is_ready(Readiness(tcp_port=ports["downstream"], interval=0.1))
