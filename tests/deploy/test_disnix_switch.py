"""nixproc-disnix-switch for real: the webapps deployed through our Dysnomia process module."""
from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from webapps_deployment import MARKER_VARIABLE, WebappsDeployment, alive, kill_marked

from nixproc_disnix.deploy.readiness import wait_until_ready
from nixproc_disnix.dysnomia.modules.process import running_pid
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import read_profile
from nixproc_disnix.model.readiness import Readiness

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("disnix-switch") / "root" / "store"


@pytest.fixture
def deployment(tmp_path: Path, store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebappsDeployment]:
    marker = uuid.uuid4().hex
    monkeypatch.setenv(MARKER_VARIABLE, marker)
    try:
        yield WebappsDeployment(tmp_path, store_dir, "disnix")
    finally:
        kill_marked(marker)


def answer(deployment: WebappsDeployment, name: str, port: int | None = None) -> str:
    """The webapp's answer once it listens: a started process takes a moment to open its port."""
    wait_until_ready(name, Readiness(tcp_port=port or deployment.ports[name], timeout=10, interval=0.1))
    return deployment.answer(name, port)


def pid(deployment: WebappsDeployment, name: str) -> int | None:
    """The webapps run as themselves, so their PID files are in the tmp dir (SPEC 2.4)."""
    return running_pid(str(deployment.state / "tmp" / f"{name}.pid"))


def test_deploy_change_fail_and_undeploy(deployment: WebappsDeployment) -> None:
    plan = deployment.switch()
    assert [[process.name for process in level] for level in plan.start] == [["webapp1"], ["webapp2"]]
    assert answer(deployment, "webapp1") == "webapp1" and answer(deployment, "webapp2") == "webapp2"
    first, second = pid(deployment, "webapp1"), pid(deployment, "webapp2")
    assert first is not None and second is not None

    assert deployment.switch().is_empty
    assert (pid(deployment, "webapp1"), pid(deployment, "webapp2")) == (first, second)

    deployment.move("webapp2")
    changed = deployment.switch()
    assert changed.restart == ("webapp2",) and pid(deployment, "webapp1") == first
    assert not alive(second) and answer(deployment, "webapp2") == "webapp2"
    third = pid(deployment, "webapp2")

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = deployment.ports["webapp2"]
        deployment.ports["webapp2"] = taken.getsockname()[1]
        deployment.write_ids()
        with pytest.raises(DeployError, match="rolled back to the previous deployment"):
            deployment.switch()
    assert deployment.generations() == [(1, False), (2, True)]
    assert pid(deployment, "webapp1") == first and pid(deployment, "webapp2") not in (None, third)
    assert answer(deployment, "webapp2", port) == "webapp2"

    undeployed = deployment.cli("--undeploy")
    assert undeployed.exit_code == 0, undeployed.output
    assert pid(deployment, "webapp1") is None and pid(deployment, "webapp2") is None and not alive(first)
    assert read_profile(str(deployment.profile)).processes == {}
