"""What the switch tests against a real Docker engine (:mod:`dockerd_harness`) ask the engine and the webapps."""
from __future__ import annotations

import json

import pytest
from dockerd_harness import Dockerd
from webapps_deployment import WebappsDeployment

WEBAPPS = ("webapp1", "webapp2")


def use_dockerd(dockerd: Dockerd, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the switch's ``docker`` talk to ``dockerd``."""
    for variable, value in dockerd.env.items():
        if variable.startswith("DOCKER_"):
            monkeypatch.setenv(variable, value)


def remove_webapps(dockerd: Dockerd) -> None:
    """Remove what a test left: the webapps' containers and images."""
    for name in WEBAPPS:
        dockerd.docker("rm", "-f", f"nixproc-{name}", check=False)
        dockerd.docker("rmi", "-f", f"{name}:latest", check=False)


def containers(dockerd: Dockerd) -> dict[str, tuple[str, str, bool]]:
    """Every container the engine has: name → (id, start time, running)."""
    names = dockerd.docker("ps", "--all", "--format", "{{.Names}}").stdout.split()
    found = {}
    for name in names:
        state = json.loads(dockerd.docker("inspect", "--format", "{{json .}}", name).stdout)
        found[name] = (state["Id"], state["State"]["StartedAt"], state["State"]["Running"])
    return found


def images(dockerd: Dockerd) -> list[str]:
    """Every image the engine keeps, by tag; ``<none>:<none>`` for one no tag names any more."""
    return sorted(dockerd.docker("images", "--all", "--format", "{{.Repository}}:{{.Tag}}").stdout.split())


def answer(dockerd: Dockerd, port: int) -> str:
    """What the webapp on ``port`` of the daemon's loopback answers, once it listens."""
    result = dockerd.in_network("curl", "-fsS", "--retry", "30", "--retry-delay", "1", "--retry-connrefused",
                                "--max-time", "60", f"http://127.0.0.1:{port}/")
    assert result.returncode == 0, f"nothing answers on port {port}: {result.stderr}\n{dockerd.log_tail()}"
    return result.stdout


def serves(dockerd: Dockerd, deployment: WebappsDeployment) -> dict[str, str]:
    return {name: answer(dockerd, deployment.ports[name]) for name in WEBAPPS}


def refuses(dockerd: Dockerd, port: int) -> bool:
    return dockerd.in_network("curl", "-fsS", "--max-time", "5", f"http://127.0.0.1:{port}/").returncode != 0
