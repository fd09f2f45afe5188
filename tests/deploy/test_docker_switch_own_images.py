"""nixproc-docker-switch against a real Docker engine with the images the docker backend builds itself.

The webapps model, with no image of its own: each process's output holds
the image of its container (``<name>-docker-image.tar.gz``, built by our
builder after the output's files), which runs the output's foreground proxy
with the host's Python the image carries. The daemon (:mod:`dockerd_harness`)
mounts no store of ours, so the webapps answer only if the images hold all
their command needs; the test asks them in the daemon's network namespace.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from docker_engine import WEBAPPS, containers, images, refuses, remove_webapps, serves, use_dockerd
from dockerd_harness import Dockerd, dockerd  # noqa: F401 (a fixture)
from webapps_deployment import WebappsDeployment

from nixproc_disnix.model.state_dirs import StateDirs


class WithUsers(WebappsDeployment):
    """The webapps deployed with their users changed: each runs as its own user, whose account is the image's."""

    def state_dirs(self) -> StateDirs:
        return StateDirs(state_dir=str(self.state))


@pytest.fixture
def deployment(tmp_path: Path, dockerd: Dockerd,  # noqa: F811
               monkeypatch: pytest.MonkeyPatch) -> Iterator[WebappsDeployment]:
    """The webapps model as it is, deployed into ``dockerd``; what it leaves is removed afterwards."""
    use_dockerd(dockerd, monkeypatch)
    yield WebappsDeployment(tmp_path / "deployment", tmp_path / "root" / "store", "docker")
    remove_webapps(dockerd)


@pytest.mark.integration
def test_deploy_no_op_and_undeploy_with_the_generated_images(dockerd: Dockerd,  # noqa: F811
                                                             deployment: WebappsDeployment) -> None:
    ours = {f"nixproc-{name}" for name in WEBAPPS}

    deployment.switch()
    first = containers(dockerd)
    assert {name: state[2] for name, state in first.items()} == {name: True for name in ours}
    assert serves(dockerd, deployment) == {name: name for name in WEBAPPS}
    assert images(dockerd) == ["webapp1:latest", "webapp2:latest"]

    # The same model again: the same outputs, so nothing is restarted.
    assert deployment.switch().is_empty
    assert containers(dockerd) == first, "a switch to the same model replaced containers"

    undeployed = deployment.cli("--undeploy")
    assert undeployed.exit_code == 0, undeployed.output
    assert containers(dockerd) == {} and images(dockerd) == []
    assert all(refuses(dockerd, deployment.ports[name]) for name in WEBAPPS)


@pytest.mark.integration
def test_each_webapp_runs_as_its_own_user_from_the_image(tmp_path: Path, dockerd: Dockerd,  # noqa: F811
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    use_dockerd(dockerd, monkeypatch)
    deployment = WithUsers(tmp_path / "deployment", tmp_path / "root" / "store", "docker")
    try:
        deployment.switch()
        assert serves(dockerd, deployment) == {name: name for name in WEBAPPS}
        for name in WEBAPPS:
            # The proxy ran as root and became the webapp, as the user the image's /etc/passwd has.
            top = dockerd.docker("top", f"nixproc-{name}", "-o", "pid,uid").stdout.splitlines()[1:]
            assert [line.split()[1] for line in top] == ["1000"], top
        deployment.switch(undeploy=True)
        assert containers(dockerd) == {} and images(dockerd) == []
    finally:
        remove_webapps(dockerd)
