"""nixproc-docker-switch against a real Docker engine: dockerd in its own namespaces (:mod:`dockerd_harness`).

The webapps model, deployed with the docker backend, names for each
instance an image our ``dockerTools.buildImage`` builds (``IMAGE``: the
webapp run by the host's Python, the host files it needs in the image),
through ``overrides.docker.container.dockerImage``: the generator's own
image arguments are not built into an image. So the switch loads real
archives, and creates and starts real containers with the createparams the
generator wrote; it runs in-process, and ``--rollback``/``--undeploy``
through its command. The containers share the
daemon's network namespace (``--network host``), where the test asks each
webapp for its name. Each step is checked against the engine's own
account: container ids and start times show what was (not) replaced, and
``docker ps``/``docker images`` what is left.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from dockerd_harness import Dockerd, dockerd  # noqa: F401 (a fixture)
from webapps_deployment import WebappsDeployment

from nixproc_disnix.errors import DeployError

IMAGE = """{ pkgs, name, port }:

let
  broken = import ./broken.nix;
in
pkgs.dockerTools.buildImage {
  inherit name;
  tag = "latest";
  config = {
    Cmd = if builtins.elem name broken
      then [ "/nonexistent/webapp" ]
      else [ "${pkgs.python3}/bin/python3" "${./webapp.py}" ];
    Env = [ "PORT=${toString port}" "NAME=${name}" ];
  };
}
"""
"""Each webapp's image; an instance named in ``broken.nix`` gets a command that cannot start."""

WEBAPPS = ("webapp1", "webapp2")


@pytest.fixture
def deployment(tmp_path: Path, dockerd: Dockerd,  # noqa: F811
               monkeypatch: pytest.MonkeyPatch) -> Iterator[WebappsDeployment]:
    """The webapps model with real images, deployed into ``dockerd``; what it leaves is removed afterwards."""
    for variable, value in dockerd.env.items():
        if variable.startswith("DOCKER_"):
            monkeypatch.setenv(variable, value)
    webapps = WebappsDeployment(tmp_path / "deployment", tmp_path / "root" / "store", "docker")
    (webapps.model.parent / "image.nix").write_text(IMAGE)
    (webapps.model.parent / "broken.nix").write_text("[ ]\n")
    webapps.add_to_webapps("overrides.docker.container.dockerImage = "
                           "import ./image.nix { inherit pkgs port; name = instanceName; };")
    yield webapps
    for name in WEBAPPS:
        dockerd.docker("rm", "-f", f"nixproc-{name}", check=False)
        dockerd.docker("rmi", "-f", f"{name}:latest", check=False)


def containers(dockerd: Dockerd) -> dict[str, tuple[str, str, bool]]:  # noqa: F811
    """Every container the engine has: name → (id, start time, running)."""
    names = dockerd.docker("ps", "--all", "--format", "{{.Names}}").stdout.split()
    found = {}
    for name in names:
        state = json.loads(dockerd.docker("inspect", "--format", "{{json .}}", name).stdout)
        found[name] = (state["Id"], state["State"]["StartedAt"], state["State"]["Running"])
    return found


def images(dockerd: Dockerd) -> list[str]:  # noqa: F811
    """Every image the engine keeps, by tag; ``<none>:<none>`` for one no tag names any more."""
    return sorted(dockerd.docker("images", "--all", "--format", "{{.Repository}}:{{.Tag}}").stdout.split())


def answer(dockerd: Dockerd, port: int) -> str:  # noqa: F811
    """What the webapp on ``port`` of the daemon's loopback answers, once it listens."""
    result = dockerd.in_network("curl", "-fsS", "--retry", "30", "--retry-delay", "1", "--retry-connrefused",
                                "--max-time", "60", f"http://127.0.0.1:{port}/")
    assert result.returncode == 0, f"nothing answers on port {port}: {result.stderr}\n{dockerd.log_tail()}"
    return result.stdout


def serves(dockerd: Dockerd, deployment: WebappsDeployment) -> dict[str, str]:  # noqa: F811
    return {name: answer(dockerd, deployment.ports[name]) for name in WEBAPPS}


def refuses(dockerd: Dockerd, port: int) -> bool:  # noqa: F811
    return dockerd.in_network("curl", "-fsS", "--max-time", "5", f"http://127.0.0.1:{port}/").returncode != 0


@pytest.mark.integration
def test_deploy_upgrade_fail_roll_back_and_undeploy(dockerd: Dockerd,  # noqa: F811
                                                    deployment: WebappsDeployment) -> None:
    ours = {f"nixproc-{name}" for name in WEBAPPS}
    everyone_answers = {name: name for name in WEBAPPS}

    deployment.switch()
    first = containers(dockerd)
    assert {name: state[2] for name, state in first.items()} == {name: True for name in ours}
    assert serves(dockerd, deployment) == everyone_answers
    assert images(dockerd) == ["webapp1:latest", "webapp2:latest"]

    # The same model again: nothing is restarted, not even the container's process.
    assert deployment.switch().is_empty
    assert containers(dockerd) == first, "a switch to the same model replaced containers"

    # webapp2 moves to another port: only its container is replaced.
    old_port = deployment.ports["webapp2"]
    deployment.move("webapp2")
    changed = deployment.switch()
    assert changed.restart == ("webapp2",) and changed.unchanged == ("webapp1",)
    second = containers(dockerd)
    assert second["nixproc-webapp1"] == first["nixproc-webapp1"]
    assert second["nixproc-webapp2"][0] != first["nixproc-webapp2"][0] and second["nixproc-webapp2"][2]
    assert serves(dockerd, deployment) == everyone_answers and refuses(dockerd, old_port)
    assert images(dockerd) == ["webapp1:latest", "webapp2:latest"], "the replaced image of webapp2 was left"

    # Back to the first generation: webapp2 runs its first image again, on its first port.
    new_port = deployment.ports["webapp2"]
    rolled_back = deployment.cli("--rollback")
    assert rolled_back.exit_code == 0, rolled_back.output
    deployment.ports["webapp2"] = old_port
    third = containers(dockerd)
    assert third["nixproc-webapp1"] == first["nixproc-webapp1"] and third["nixproc-webapp2"][0] != second[
        "nixproc-webapp2"][0]
    assert serves(dockerd, deployment) == everyone_answers and refuses(dockerd, new_port)
    assert deployment.generations() == [(1, False), (2, False), (3, True)]

    # A new webapp2 whose command does not exist: its start fails and the switch rolls back.
    (deployment.model.parent / "broken.nix").write_text('[ "webapp2" ]\n')
    deployment.move("webapp2")
    with pytest.raises(DeployError) as error:
        deployment.switch()
    assert error.value.message.startswith("cannot start webapp2: docker start nixproc-webapp2 exited with status")
    assert error.value.message.endswith("rolled back to the previous deployment")
    deployment.ports["webapp2"] = old_port
    fourth = containers(dockerd)
    assert fourth["nixproc-webapp1"] == first["nixproc-webapp1"]
    assert {name: state[2] for name, state in fourth.items()} == {name: True for name in ours}
    assert serves(dockerd, deployment) == everyone_answers
    assert images(dockerd) == ["webapp1:latest", "webapp2:latest"], "the image that failed to start was left"
    assert deployment.generations() == [(1, False), (2, False), (3, True)]

    # Undeploying leaves the engine as it found it: no container, no image.
    undeployed = deployment.cli("--undeploy")
    assert undeployed.exit_code == 0, undeployed.output
    assert containers(dockerd) == {} and images(dockerd) == []
    assert refuses(dockerd, deployment.ports["webapp1"]) and refuses(dockerd, old_port)
