"""Deploying docker profiles: one container per process, as upstream's ``nixproc-docker-deploy`` (SPEC §5.5).

A process's output has ``NN-<name>-docker-priority`` (naming it),
``<name>-docker-settings`` (``dockerImage``, the image tarball, and
``dockerImageTag``; optionally ``dockerStopTimeout``, default 1 second, and
``dockerContainerName``) and ``<name>-docker-createparams`` (the
``docker create`` arguments, one per line). Its container is
``nixproc-<name>`` unless the settings name another.

- start: ``docker load -i <tarball>``; when the tarball does not exist (it
  is built separately), an image already tagged ``<tag>`` (``docker image
  inspect``) is used instead, and without one the start fails naming both.
  Then ``docker create <createparams> --name <container> [--user <uid>]
  <tag>`` unless the container exists, and ``docker start`` unless it runs.
  ``--user`` (the deploying user) is added under
  ``--force-disable-user-change``, which upstream accepts but ignores.
- stop: ``docker stop -t <dockerStopTimeout>`` when it runs.
- activate: the containers of processes that left or changed are removed
  (``docker rm``), and their image tags (``docker rmi``) unless a process of
  the new profile uses the same tag. Upstream also removes the tag of a
  changed process before loading its new image; keeping it here lets an
  image that was loaded by other means, without a tarball, survive the
  redeploy (``docker load`` moves the tag to the new image anyway). The
  image a load took the tag from is removed then (``docker rmi <id>``),
  unless another tag or a container still uses it, so a redeploy leaves no
  untagged images behind.

Unlike upstream, the state directories are created: containers mount them.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from nixproc_disnix.backends.common.switcher import ProcessStatus, Report, SwitchContext, run_command, run_reported
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile
from nixproc_disnix.model.dysnomia import DockerSettings

CONTAINER_PREFIX = "nixproc-"
_PRIORITY_FILE = re.compile(r"[0-9]+-(.+)-docker-priority\Z")


@dataclass(frozen=True)
class Container:
    """A process's container as its output describes it."""

    container_name: str
    settings: DockerSettings
    create_parameters: tuple[str, ...]


def container_of(process: DeployedProcess) -> Container | None:
    """The container ``process``'s output describes; None without a priority file (docker does not run it)."""
    names = [match.group(1) for match in map(_PRIORITY_FILE.match, sorted(os.listdir(process.out_path))) if match]
    if not names:
        return None
    name = names[0]
    settings = DockerSettings.read(os.path.join(process.out_path, f"{name}-docker-settings"))
    parameters_file = os.path.join(process.out_path, f"{name}-docker-createparams")
    try:
        with open(parameters_file, encoding="utf-8", errors="surrogateescape") as handle:
            parameters = tuple(handle.read().splitlines())
    except FileNotFoundError:
        parameters = ()
    return Container(settings.docker_container_name or f"{CONTAINER_PREFIX}{name}", settings, parameters)


class DockerSwitcher:
    """Load images, create, start, stop and remove containers with the ``docker`` client."""

    commands = ("docker",)

    def __init__(self, user: str | None, report: Report) -> None:
        self.user = user
        self.report = report

    def stop(self, process: DeployedProcess) -> None:
        container = container_of(process)
        if container is not None and self._state(container) == "running":
            self._docker(f"stop {process.name}", "stop", "-t", container.settings.docker_stop_timeout,
                         container.container_name)

    def activate(self, profile: DeployedProfile, previous: DeployedProfile) -> None:
        """Remove the containers (and image tags no longer used) of ``previous``'s processes ``profile`` lacks."""
        kept = {process.out_path for process in profile.processes.values()}
        tags = {container.settings.docker_image_tag
                for container in map(container_of, profile.processes.values()) if container is not None}
        for process in previous.processes.values():
            container = container_of(process) if process.out_path not in kept else None
            if container is None:
                continue
            if self._state(container):
                self._docker(f"remove the container of {process.name}", "rm", container.container_name)
            tag = container.settings.docker_image_tag
            if tag not in tags and self._image_id(tag):
                self._docker(f"remove the image of {process.name}", "rmi", tag)

    def start(self, process: DeployedProcess) -> None:
        container = container_of(process)
        if container is None:
            return
        image, tag = container.settings.docker_image, container.settings.docker_image_tag
        if os.path.exists(image):
            replaced = self._image_id(tag)
            self._docker(f"load the image of {process.name}", "load", "-i", image)
            if replaced and replaced != self._image_id(tag):
                self._remove_replaced(process, replaced)
        elif self._image_id(tag):
            self.report(f"{process.name}: {image} does not exist; using the image {tag} docker has")
        else:
            raise DeployError(f"cannot start {process.name}: its image {image} does not exist "
                              f"and docker has no image {tag}")
        state = self._state(container)
        if not state:
            user = ["--user", self.user] if self.user is not None else []
            self._docker(f"create the container of {process.name}", "create", *container.create_parameters,
                         "--name", container.container_name, *user, tag)
        if state != "running":
            self._docker(f"start {process.name}", "start", container.container_name)

    def status(self, process: DeployedProcess) -> ProcessStatus:
        container = container_of(process)
        if container is None:
            return ProcessStatus.UNKNOWN
        return ProcessStatus.RUNNING if self._state(container) == "running" else ProcessStatus.STOPPED

    def _docker(self, what: str, *args: str) -> None:
        run_reported(["docker", *args], self.report, what)

    def _state(self, container: Container) -> str:
        """The container's state (``running``, ``exited``, ``created``, ...); empty when it does not exist."""
        argv = ["docker", "ps", "--all", "--filter", f"name=^{container.container_name}$", "--format", "{{.State}}"]
        code, output = run_command(argv)
        if code != 0:
            raise DeployError(f"cannot ask docker about {container.container_name}: "
                              f"docker ps exited with status {code}: {output.strip()}")
        return output.strip()

    def _image_id(self, tag: str) -> str:
        """The id of the image ``tag`` names; empty when docker has none."""
        code, output = run_command(["docker", "image", "inspect", "--format", "{{.Id}}", tag])
        return output.strip() if code == 0 else ""

    def _remove_replaced(self, process: DeployedProcess, image_id: str) -> None:
        """Remove the image ``process``'s load took its tag from; docker refuses while a tag or container uses it."""
        code, output = run_command(["docker", "rmi", image_id])
        if code != 0:
            self.report(f"{process.name}: kept the image {image_id} its tag named before: {output.strip()}")


def switcher(context: SwitchContext) -> DockerSwitcher:
    """The docker :class:`~nixproc_disnix.backends.common.switcher.Switcher`; containers run as the deploying user
    under ``--force-disable-user-change``."""
    return DockerSwitcher(str(os.getuid()) if context.state_dirs.force_disable_user_change else None, context.report)
