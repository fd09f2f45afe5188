"""Dysnomia's ``key=value`` files (SPEC §6.1, §6.2, §4.5).

Container configurations (``/etc/dysnomia/containers/<name>``, a service
container's ``etc/dysnomia/containers/<name>``), a process component's
``etc/dysnomia/process/<name>`` and a Docker component's
``*-docker-settings`` are shell assignments that Dysnomia sources. We read
them as data instead, as :mod:`~nixproc_disnix.model.dysnomia_support` reads
account files: the text is split into shell words (quotes removed, ``#``
comments dropped, nothing expanded) and each word must be
``<name>=<value>``; what our generators write reads back exactly.
"""
from __future__ import annotations

import os
import shlex
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from nixproc_disnix.errors import DeployError


def parse_properties(text: str, source: str = "<string>") -> dict[str, str]:
    """The assignments of ``text`` in order; ``source`` names the file in errors."""
    try:
        words = shlex.split(text, comments=True, posix=True)
    except ValueError as error:
        raise DeployError(f"cannot read '{source}': {error}") from None
    properties: dict[str, str] = {}
    for word in words:
        name, equals, value = word.partition("=")
        if not equals or not name.isidentifier() or not name.isascii():
            raise DeployError(f"cannot read '{source}': '{word}' is not a name=value assignment")
        properties[name] = value
    return properties


def render_properties(properties: Mapping[str, str]) -> str:
    """``properties`` as lines Dysnomia can source and :func:`parse_properties` reads back."""
    for name in properties:
        if not name.isidentifier() or not name.isascii():
            raise DeployError(f"'{name}' cannot name a container property (a shell variable)")
    return "".join(f"{name}={shlex.quote(value)}\n" for name, value in properties.items())


def read_properties(path: str) -> dict[str, str]:
    """The assignments in the file at ``path``."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            return parse_properties(handle.read(), path)
    except OSError as error:
        raise DeployError(f"cannot read '{path}': {error.strerror}") from None


class ContainerConfig(BaseModel):
    """A container: its name and properties; the ``type`` property selects the Dysnomia module."""

    model_config = ConfigDict(frozen=True, strict=True)

    name: str
    properties: dict[str, str]

    @property
    def type(self) -> str | None:
        return self.properties.get("type") or None

    def environment(self) -> dict[str, str]:
        """What a module sees: every property but ``type``, as environment variables."""
        return {name: value for name, value in self.properties.items() if name != "type"}


def read_container_config(path: str) -> ContainerConfig:
    """The container configuration file at ``path``, named after the file."""
    return ContainerConfig(name=os.path.basename(path), properties=read_properties(path))


class ProcessConfig(BaseModel):
    """``etc/dysnomia/process/<name>``: the executable that starts the process, and its PID file if known."""

    model_config = ConfigDict(frozen=True, strict=True)

    process: str
    pid_file: str | None = None

    @classmethod
    def read(cls, path: str) -> ProcessConfig:
        properties = read_properties(path)
        if not properties.get("process"):
            raise DeployError(f"'{path}' does not say which process to run (process=...)")
        return cls(process=properties["process"], pid_file=properties.get("pidFile") or None)


class DockerSettings(BaseModel):
    """``<name>-docker-settings``: the image to load, its tag, and how the container is stopped and kept."""

    model_config = ConfigDict(frozen=True, strict=True)

    docker_image: str
    docker_image_tag: str
    docker_container_name: str | None = None
    docker_stop_timeout: str = "1"
    docker_stateless_deployment: bool = True

    @classmethod
    def read(cls, path: str) -> DockerSettings:
        properties = read_properties(path)
        missing = [name for name in ("dockerImage", "dockerImageTag") if not properties.get(name)]
        if missing:
            raise DeployError(f"'{path}' lacks {', '.join(missing)}")
        return cls(
            docker_image=properties["dockerImage"],
            docker_image_tag=properties["dockerImageTag"],
            docker_container_name=properties.get("dockerContainerName") or None,
            docker_stop_timeout=properties.get("dockerStopTimeout") or "1",
            docker_stateless_deployment=(properties.get("dockerStatelessDeployment") or "1") == "1",
        )
