"""The docker-archive format ``docker load -i`` reads, as ``docker save`` and nixpkgs' ``buildImage`` write it.

An archive holds ``manifest.json`` (which config and layers make each
tagged image), the image configuration ``<sha256>.json`` (what a container
runs, and the layers' ``diff_ids``: sha256 of each uncompressed
``layer.tar``), the legacy ``repositories`` file and, per layer, a
directory with ``layer.tar``, ``VERSION`` and a legacy ``json``. Every file
is rendered with sorted keys and no spaces, so equal images are equal bytes.
"""
from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, model_validator

LAYER_VERSION = "1.0"
"""What each layer's ``VERSION`` file holds."""
HISTORY_CREATOR = "nixproc-disnix"

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}\Z")


def _digest(value: str) -> str:
    if not _DIGEST.match(value):
        raise ValueError(f"'{value}' is not a sha256 digest ('sha256:' and 64 hex digits)")
    return value


Digest = Annotated[str, AfterValidator(_digest)]


class _Format(BaseModel):
    """Docker's own field names (``Cmd``, ``RepoTags``): aliases, so Python names stay snake_case."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def render(self) -> str:
        return render_json(self.model_dump(mode="json", by_alias=True, exclude_none=True))


def render_json(data: Any) -> str:
    """The canonical spelling of every JSON file in the archive."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


class ContainerConfig(_Format):
    """The ``config`` of an image: what ``docker run`` starts and with which environment.

    Docker reads these keys case-insensitively (upstream's s6-rc step writes
    ``cmd``); they are accepted in any case and written in Docker's.
    """

    cmd: list[str] | None = Field(None, alias="Cmd")
    entrypoint: list[str] | None = Field(None, alias="Entrypoint")
    env: list[str] | None = Field(None, alias="Env")
    exposed_ports: dict[str, dict[str, Any]] | None = Field(None, alias="ExposedPorts")
    working_dir: str | None = Field(None, alias="WorkingDir")
    user: str | None = Field(None, alias="User")
    volumes: dict[str, dict[str, Any]] | None = Field(None, alias="Volumes")
    labels: dict[str, str] | None = Field(None, alias="Labels")
    stop_signal: str | None = Field(None, alias="StopSignal")
    healthcheck: dict[str, Any] | None = Field(None, alias="Healthcheck")
    on_build: list[str] | None = Field(None, alias="OnBuild")
    shell: list[str] | None = Field(None, alias="Shell")

    @model_validator(mode="before")
    @classmethod
    def _docker_spelling(cls, data: Any) -> Any:
        """``cmd``/``CMD`` → ``Cmd``; a string command → its one word, as upstream's ``Cmd = "/bin/bootstrap"``."""
        if not isinstance(data, dict):
            return data
        canonical = {field.alias.lower(): field.alias for field in cls.model_fields.values() if field.alias}
        result: dict[str, Any] = {}
        for key, value in data.items():
            name = canonical.get(key.lower(), key) if isinstance(key, str) else key
            if name in result:
                raise ValueError(f"'{key}' is given twice (Docker reads config keys in any case)")
            result[name] = [value] if name in ("Cmd", "Entrypoint") and isinstance(value, str) else value
        return result


class RootFS(_Format):
    type: str = "layers"
    diff_ids: list[Digest]


class HistoryEntry(_Format):
    created: str
    created_by: str = HISTORY_CREATOR
    comment: str | None = None
    empty_layer: bool | None = None


class ImageConfig(_Format):
    """``<sha256>.json``: the image configuration its digest names."""

    architecture: str
    os: str = "linux"
    created: str
    config: ContainerConfig
    rootfs: RootFS
    history: list[HistoryEntry]

    @model_validator(mode="after")
    def _one_history_entry_per_layer(self) -> ImageConfig:
        layers = [entry for entry in self.history if not entry.empty_layer]
        if len(layers) != len(self.rootfs.diff_ids):
            raise ValueError(f"{len(layers)} history entries for {len(self.rootfs.diff_ids)} layers")
        return self


class LayerJson(_Format):
    """A layer's legacy ``json`` (``docker save``'s v1 metadata), which ``docker load`` still accepts."""

    id: Annotated[str, AfterValidator(lambda value: _digest("sha256:" + value).removeprefix("sha256:"))]
    parent: str | None = None
    created: str
    os: str = "linux"
    architecture: str


class ManifestEntry(_Format):
    config: str = Field(alias="Config")
    repo_tags: list[str] = Field(alias="RepoTags")
    layers: list[str] = Field(alias="Layers")


class Manifest(RootModel[list[ManifestEntry]]):
    """``manifest.json``: one entry per image in the archive."""

    def render(self) -> str:
        return render_json(self.model_dump(mode="json", by_alias=True, exclude_none=True))


class Repositories(RootModel[dict[str, dict[str, str]]]):
    """``repositories``: image name → tag → id of the top layer."""

    def render(self) -> str:
        return render_json(self.root)
