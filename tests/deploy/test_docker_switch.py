"""nixproc-docker-switch against a stand-in ``docker``: which commands a switch runs.

Everything docker does is played by :mod:`stand_in_docker`, put first on
``PATH``: it records each call and keeps the images and containers it was
told about, refusing what the real engine refuses. So these tests show
which docker commands a switch runs, in which order, with which arguments,
and what state they leave; that containers really run, are replaced, rolled
back and removed is shown against a real engine by
:mod:`test_docker_switch_engine`. The webapps model is
built for real, with the image archives the builder writes into the outputs;
the stand-in reads only their manifests, and names an image by the
archive's digest.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest
from recording_stand_in import StandIns
from webapps_deployment import WebappsDeployment

from nixproc_disnix.backends.common.switcher import ProcessStatus, SwitchContext
from nixproc_disnix.backends.docker.switch import container_of, switcher
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile, read_profile
from nixproc_disnix.model.state_dirs import StateDirs

QUERIES = ("ps", "image")


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("docker-switch") / "root" / "store"


@pytest.fixture
def docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StandIns:
    return StandIns.on_path(tmp_path, monkeypatch, "stand_in_docker", "docker")


def changes(stand_ins: StandIns) -> list[list[str]]:
    """The calls that change something (not ``docker ps`` or ``docker image inspect``), without ``docker``."""
    return [argv[1:] for argv in stand_ins.calls() if argv[1] not in QUERIES]


def started(process: DeployedProcess, replacing: str | None = None) -> list[list[str]]:
    """The calls that start a webapp's container from its output's archive: load, create, start.

    ``replacing`` is the image the load takes the tag from, which the switch then removes.
    """
    container = container_of(process)
    assert container is not None
    image, tag = container.settings.docker_image, container.settings.docker_image_tag
    name = f"nixproc-{process.name}"
    return [["load", "-i", image], *([["rmi", replacing]] if replacing else []),
            ["create", *container.create_parameters, "--name", name, "--user", str(os.getuid()), tag],
            ["start", name]]


def image_id(stand_ins: StandIns, tag: str) -> str:
    """The image the stand-in engine tags ``tag``."""
    with stand_ins.state() as state:
        return str(state["images"][tag]["id"])


def archive_id(process: DeployedProcess) -> str:
    """The image the stand-in engine loads from ``process``'s archive: named by the archive's digest."""
    container = container_of(process)
    assert container is not None
    return "sha256:" + hashlib.sha256(Path(container.settings.docker_image).read_bytes()).hexdigest()


def built(deployment: WebappsDeployment) -> DeployedProfile:
    """Build the deployment's profile ahead of its switch."""
    return read_profile(deployment.build())


def write_archive(path: Path, tag: str) -> None:
    """A docker-archive with just the ``manifest.json`` the stand-in reads tags from."""
    manifest = json.dumps([{"Config": "config.json", "RepoTags": [tag], "Layers": []}]).encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        archive.addfile(info, io.BytesIO(manifest))


def container_output(
    root: Path, name: str, image: str, tag: str, parameters: list[str], *extra: str
) -> DeployedProcess:
    """A process output as the docker generator writes one, by hand: priority, settings, createparams."""
    out = root / f"out-{name}"
    out.mkdir()
    (out / f"01-{name}-docker-priority").write_text("")
    (out / f"{name}-docker-settings").write_text("".join(f"{line}\n" for line in (f"dockerImage={image}",
                                                                                   f"dockerImageTag={tag}", *extra)))
    (out / f"{name}-docker-createparams").write_text("".join(f"{line}\n" for line in parameters))
    return DeployedProcess(name=name, process_manager="docker", out_path=str(out))


def test_deploy_redeploy_change_fail_and_undeploy(tmp_path: Path, store_dir: Path, docker: StandIns) -> None:
    deployment = WebappsDeployment(tmp_path / "deployment", store_dir, "docker")
    # A label carries the port into the createparams too.
    deployment.add_to_webapps('overrides.docker.container.dockerCreateParameters.label = "port=${toString port}";')
    first = built(deployment)
    plan = deployment.switch()
    assert [[process.name for process in level] for level in plan.start] == [["webapp1"], ["webapp2"]]
    assert changes(docker) == started(first.processes["webapp1"]) + started(first.processes["webapp2"])
    with docker.state() as state:
        containers = state["containers"]
    assert {name: container["state"] for name, container in containers.items()} == {
        "nixproc-webapp1": "running", "nixproc-webapp2": "running"}
    parameters = containers["nixproc-webapp1"]["parameters"]
    assert parameters[-2:] == ["--volume", f"{deployment.state}:{deployment.state}:z"] and deployment.state.is_dir()
    assert deployment.generations() == [(1, True)]

    docker.forget_calls()
    again = deployment.switch()
    assert again.is_empty and changes(docker) == [] and deployment.generations() == [(1, True)]

    deployment.move("webapp2")
    second = built(deployment)
    first_image = image_id(docker, "webapp2:latest")
    changed = deployment.switch()
    assert changed.restart == ("webapp2",) and changed.unchanged == ("webapp1",)
    assert changes(docker) == [["stop", "-t", "1", "nixproc-webapp2"], ["rm", "nixproc-webapp2"],
                               *started(second.processes["webapp2"], replacing=first_image)]
    assert deployment.generations() == [(1, False), (2, True)]

    docker.forget_calls()
    deployment.move("webapp2")
    third = built(deployment)
    second_image = image_id(docker, "webapp2:latest")
    with docker.state() as state:
        state["fail_start"] = ["nixproc-webapp2"]
    with pytest.raises(DeployError) as error:
        deployment.switch()
    assert error.value.message == ("cannot start webapp2: docker start nixproc-webapp2 exited with status 1; "
                                   "rolled back to the previous deployment")
    third_image = archive_id(third.processes["webapp2"])
    assert third_image != second_image
    assert changes(docker) == [
        ["stop", "-t", "1", "nixproc-webapp2"], ["rm", "nixproc-webapp2"],
        *started(third.processes["webapp2"], replacing=second_image),
        ["rm", "nixproc-webapp2"], *started(second.processes["webapp2"], replacing=third_image),
    ]
    with docker.state() as state:
        assert state["containers"]["nixproc-webapp2"]["state"] == "running"
    assert deployment.generations() == [(1, False), (2, True)]

    docker.forget_calls()
    undeployed = deployment.cli("--undeploy")
    assert undeployed.exit_code == 0, undeployed.output
    assert changes(docker) == [
        ["stop", "-t", "1", "nixproc-webapp2"], ["stop", "-t", "1", "nixproc-webapp1"],
        ["rm", "nixproc-webapp1"], ["rmi", "webapp1:latest"], ["rm", "nixproc-webapp2"], ["rmi", "webapp2:latest"],
    ]
    with docker.state() as state:
        assert state["containers"] == {} and state["images"] == {}
    assert deployment.generations() == [(1, False), (2, False), (3, True)]


def test_images_come_from_archives_or_from_docker(tmp_path: Path, docker: StandIns) -> None:
    lines: list[str] = []
    backend = switcher(SwitchContext(StateDirs(), lines.append))
    write_archive(tmp_path / "web1.tar.gz", "web1:latest")
    loaded = container_output(tmp_path, "web1", str(tmp_path / "web1.tar.gz"), "web1:latest", ["--network", "host"])
    backend.start(loaded)
    assert changes(docker) == [["load", "-i", str(tmp_path / "web1.tar.gz")],
                               ["create", "--network", "host", "--name", "nixproc-web1", "web1:latest"],
                               ["start", "nixproc-web1"]]
    assert backend.status(loaded) is ProcessStatus.RUNNING

    docker.forget_calls()
    missing = container_output(tmp_path, "web2", str(tmp_path / "web2.tar.gz"), "web2:latest", [])
    with pytest.raises(DeployError) as error:
        backend.start(missing)
    assert error.value.message == (f"cannot start web2: its image {tmp_path}/web2.tar.gz does not exist "
                                   f"and docker has no image web2:latest")
    assert changes(docker) == [] and backend.status(missing) is ProcessStatus.STOPPED

    elsewhere = container_output(tmp_path, "web3", str(tmp_path / "web3.tar.gz"), "web1:latest", [])
    backend.start(elsewhere)
    assert changes(docker) == [["create", "--name", "nixproc-web3", "web1:latest"], ["start", "nixproc-web3"]]
    assert f"web3: {tmp_path}/web3.tar.gz does not exist; using the image web1:latest docker has" in lines

    docker.forget_calls()
    backend.start(elsewhere)  # created and running: nothing to do
    assert changes(docker) == []


def test_settings_name_the_container_and_the_stop_timeout(tmp_path: Path, docker: StandIns) -> None:
    backend = switcher(SwitchContext(StateDirs(), lambda line: None))
    write_archive(tmp_path / "web.tar.gz", "web:1")
    process = container_output(tmp_path, "web", str(tmp_path / "web.tar.gz"), "web:1", [],
                               "dockerContainerName=custom", "dockerStopTimeout=30")
    backend.start(process)
    backend.stop(process)
    backend.stop(process)  # stopping what does not run does nothing
    assert backend.status(process) is ProcessStatus.STOPPED
    profile = DeployedProfile(path=str(tmp_path), processes={"web": process})
    backend.activate(DeployedProfile(path=str(tmp_path / "empty")), profile)
    assert changes(docker)[3:] == [["stop", "-t", "30", "custom"], ["rm", "custom"], ["rmi", "web:1"]]

    other = tmp_path / "other"
    other.mkdir()
    stranger = DeployedProcess(name="other", process_manager="docker", out_path=str(other))
    docker.forget_calls()
    backend.start(stranger)
    backend.stop(stranger)
    assert backend.status(stranger) is ProcessStatus.UNKNOWN and docker.calls() == []


def test_a_tag_still_used_by_the_new_profile_is_kept(tmp_path: Path, docker: StandIns) -> None:
    backend = switcher(SwitchContext(StateDirs(), lambda line: None))
    write_archive(tmp_path / "web.tar.gz", "web:latest")
    old = container_output(tmp_path, "web", str(tmp_path / "web.tar.gz"), "web:latest", ["--env", "A=1"])
    (tmp_path / "new").mkdir()
    new = container_output(tmp_path / "new", "web", str(tmp_path / "web.tar.gz"), "web:latest", ["--env", "A=2"])
    backend.start(old)
    backend.stop(old)
    docker.forget_calls()
    backend.activate(DeployedProfile(path="new", processes={"web": new}),
                     DeployedProfile(path="old", processes={"web": old}))
    backend.start(new)
    assert changes(docker) == [["rm", "nixproc-web"], ["load", "-i", str(tmp_path / "web.tar.gz")],
                               ["create", "--env", "A=2", "--name", "nixproc-web", "web:latest"],
                               ["start", "nixproc-web"]]


def test_force_disable_user_change_runs_containers_as_the_deploying_user(tmp_path: Path, docker: StandIns) -> None:
    backend = switcher(SwitchContext(StateDirs(force_disable_user_change=True), lambda line: None))
    write_archive(tmp_path / "web.tar.gz", "web:latest")
    backend.start(container_output(tmp_path, "web", str(tmp_path / "web.tar.gz"), "web:latest", []))
    assert ["create", "--name", "nixproc-web", "--user", str(os.getuid()), "web:latest"] in changes(docker)


def test_a_load_that_moves_a_tag_removes_the_image_it_took_it_from(tmp_path: Path, docker: StandIns) -> None:
    lines: list[str] = []
    backend = switcher(SwitchContext(StateDirs(), lines.append))
    write_archive(tmp_path / "web.tar.gz", "web:latest")
    old = container_output(tmp_path, "web", str(tmp_path / "web.tar.gz"), "web:latest", [])
    backend.start(old)
    with docker.state() as state:
        old_id = state["images"]["web:latest"]["id"]
    backend.stop(old)
    (tmp_path / "new").mkdir()
    write_archive(tmp_path / "new" / "web.tar.gz", "web:latest")
    (tmp_path / "new" / "web.tar.gz").write_bytes((tmp_path / "new" / "web.tar.gz").read_bytes() + b"\0")
    new = container_output(tmp_path / "new", "web", str(tmp_path / "new" / "web.tar.gz"), "web:latest", [])
    backend.activate(DeployedProfile(path="new", processes={"web": new}),
                     DeployedProfile(path="old", processes={"web": old}))
    docker.forget_calls()
    backend.start(new)
    assert changes(docker) == [["load", "-i", str(tmp_path / "new" / "web.tar.gz")], ["rmi", old_id],
                               ["create", "--name", "nixproc-web", "web:latest"], ["start", "nixproc-web"]]
    with docker.state() as state:
        assert state["untagged"] == [] and list(state["images"]) == ["web:latest"]
    assert not [line for line in lines if "kept the image" in line]

    # Another tag still names the image the load replaces: docker keeps it, and the switch says so.
    backend.stop(new)
    backend.activate(DeployedProfile(path="old", processes={"web": old}),
                     DeployedProfile(path="new", processes={"web": new}))
    with docker.state() as state:
        state["images"]["web:pinned"] = dict(state["images"]["web:latest"])
        new_id = state["images"]["web:pinned"]["id"]
    backend.start(old)
    assert [line for line in lines if "kept the image" in line] == [
        f"web: kept the image {new_id} its tag named before: "
        f"Error response from daemon: conflict: unable to delete {new_id} (must be forced)"]
    assert backend.status(old) is ProcessStatus.RUNNING
