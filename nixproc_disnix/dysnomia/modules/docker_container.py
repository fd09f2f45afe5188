"""Dysnomia's ``docker-container`` module: a component as a Docker container (SPEC §6.2, §3.8).

The component's ``*-docker-settings`` name the image tarball and tag (and
optionally ``dockerContainerName``, ``dockerStopTimeout``,
``dockerStatelessDeployment``); ``*-docker-createparams`` hold the
``docker create`` arguments, one per line. Activation loads the image
unless present, creates the container (``dysnomia-<component>``) unless it
exists, and starts it. Deactivation stops it; a stateless deployment (the
default) then removes the container and its image, a stateful one marks
them garbage for ``collect-garbage``. No accounts: the container makes its
own. Unlike upstream, a ``dockerContainerName`` in the settings is honoured.
"""
from __future__ import annotations

from nixproc_disnix.dysnomia.module import ModuleCall
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.dysnomia import DockerSettings


def _settings(call: ModuleCall) -> DockerSettings:
    files = [entry for entry in call.entries() if entry.endswith("-docker-settings")]
    if len(files) != 1:
        raise DeployError(f"docker-container: component '{call.component}' needs one *-docker-settings file, not {len(files)}")
    return DockerSettings.read(call.component_path(files[0]))


def _container_name(call: ModuleCall, settings: DockerSettings) -> str:
    return settings.docker_container_name or f"dysnomia-{call.component_name}"


def _create_parameters(call: ModuleCall) -> list[str]:
    arguments = []
    for entry in call.entries():
        if entry.endswith("-docker-createparams"):
            with open(call.component_path(entry), encoding="utf-8", errors="surrogateescape") as handle:
                arguments += handle.read().splitlines()
    return arguments


def _exists(call: ModuleCall, name: str, running: bool = False) -> bool:
    listed = call.output(["docker", "ps", "-q", *([] if running else ["-a"]), "-f", f"name=^{name}$"])
    return bool(listed.strip())


def _has_image(call: ModuleCall, tag: str) -> bool:
    return bool(call.output(["docker", "images", "-q", tag]).strip())


def _remove(call: ModuleCall, settings: DockerSettings) -> None:
    name = _container_name(call, settings)
    if _exists(call, name):
        call.run(["docker", "rm", name])
    if _has_image(call, settings.docker_image_tag):
        call.run(["docker", "rmi", settings.docker_image_tag])


def activate(call: ModuleCall) -> None:
    settings = _settings(call)
    name = _container_name(call, settings)
    if not _has_image(call, settings.docker_image_tag):
        call.run(["docker", "load", "-i", settings.docker_image])
    if not _exists(call, name):
        call.run(["docker", "create", *_create_parameters(call), "--name", name, settings.docker_image_tag])
    call.run(["docker", "start", name])
    if not settings.docker_stateless_deployment:
        call.mark_active()


def deactivate(call: ModuleCall) -> None:
    settings = _settings(call)
    name = _container_name(call, settings)
    if _exists(call, name, running=True):
        call.run(["docker", "stop", "-t", settings.docker_stop_timeout, name])
    if settings.docker_stateless_deployment:
        _remove(call, settings)
    else:
        call.mark_garbage()


def collect_garbage(call: ModuleCall) -> None:
    if call.is_garbage():
        _remove(call, _settings(call))
        call.unmark_garbage()
