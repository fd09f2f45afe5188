"""nixproc-docker-switch against a real Docker engine: dockerd in its own namespaces (:mod:`dockerd_harness`).

The webapps model, deployed with the docker backend, names for each
instance an image our ``dockerTools.buildImage`` builds (``IMAGE``: the
webapp run by the host's Python, the host files it needs in the image),
through ``overrides.docker.container.dockerImage``, so that a changed or
broken command is a change of the image alone (the images the outputs
hold are deployed in :mod:`test_docker_switch_own_images`). So the switch loads real
archives, and creates and starts real containers with the createparams the
generator wrote; it runs in-process, and ``--rollback``/``--undeploy``
through its command. The containers share the
daemon's network namespace (``--network host``), where the test asks each
webapp for its name. Each step is checked against the engine's own
account: container ids and start times show what was (not) replaced, and
``docker ps``/``docker images`` what is left.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from docker_engine import WEBAPPS, containers, images, refuses, remove_webapps, serves, use_dockerd
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

@pytest.fixture
def deployment(tmp_path: Path, dockerd: Dockerd,  # noqa: F811
               monkeypatch: pytest.MonkeyPatch) -> Iterator[WebappsDeployment]:
    """The webapps model with real images, deployed into ``dockerd``; what it leaves is removed afterwards."""
    use_dockerd(dockerd, monkeypatch)
    webapps = WebappsDeployment(tmp_path / "deployment", tmp_path / "root" / "store", "docker")
    (webapps.model.parent / "image.nix").write_text(IMAGE)
    (webapps.model.parent / "broken.nix").write_text("[ ]\n")
    webapps.add_to_webapps("overrides.docker.container.dockerImage = "
                           "import ./image.nix { inherit pkgs port; name = instanceName; };")
    yield webapps
    for name in WEBAPPS:
        dockerd.docker("rm", "-f", f"nixproc-{name}", check=False)
        dockerd.docker("rmi", "-f", f"{name}:latest", check=False)


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
