"""A docker-archive from layers and a container configuration, and reading one back with its digests checked.

Layer directories are named by the layer's chain id (OCI's ``ChainID``:
the first layer's ``diff_id``, then sha256 of the parent's chain id, a
space and the ``diff_id``), so an id says which layers lie below it. The
archive's own members are written in name order with the same fixed
metadata as the layers (``tree``), so the tarball is reproducible bytes.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO, TypeVar

from pydantic import BaseModel, ValidationError

from nixproc_disnix.errors import BuildError
from nixproc_disnix.image.tree import MTIME, Tree, write_layer
from nixproc_disnix.model.docker_archive import (
    LAYER_VERSION,
    ContainerConfig,
    HistoryEntry,
    ImageConfig,
    LayerJson,
    Manifest,
    ManifestEntry,
    Repositories,
    RootFS,
)

ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64", "i686": "386", "armv7l": "arm", "powerpc64le": "ppc64le",
                 "s390x": "s390x", "riscv64": "riscv64"}
"""Nix system CPU → Go/OCI architecture name."""
GZIP_LEVEL = 6
"""gzip's own default: a compressed archive is about a third of the tar and takes seconds, not minutes."""

_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class Layer:
    tree: Tree
    comment: str
    """What the layer holds, shown by ``docker history``."""


@dataclass(frozen=True)
class ImageIdentity:
    name: str
    tag: str
    system: str
    created: str


def architecture(system: str) -> str:
    """``x86_64-linux`` → ``amd64``."""
    cpu = system.split("-", 1)[0]
    if cpu not in ARCHITECTURES:
        raise BuildError(f"no Docker architecture for system '{system}'")
    return ARCHITECTURES[cpu]


def chain_ids(diff_ids: Sequence[str]) -> list[str]:
    """The chain id (hex) of each layer, given the ``diff_id``s (hex) bottom up."""
    chain: list[str] = []
    for diff_id in diff_ids:
        chain.append(diff_id if not chain else hashlib.sha256(f"sha256:{chain[-1]} sha256:{diff_id}".encode()).hexdigest())
    return chain


def write_archive(
    out: str, identity: ImageIdentity, config: ContainerConfig, layers: Sequence[Layer], compressed: bool = False
) -> None:
    """Write the docker-archive of an image made of ``layers`` (bottom first) running ``config`` to ``out``.

    ``compressed`` gzips it (``.tar.gz``, as upstream's buildImage), with no
    name or time in the gzip header, so the bytes stay reproducible.
    """
    arch = architecture(identity.system)
    with tempfile.TemporaryDirectory(prefix="nixproc-image-", dir=os.path.dirname(out)) as scratch:
        layer_files: list[str] = []
        diff_ids: list[str] = []
        for index, layer in enumerate(layers):
            layer_files.append(os.path.join(scratch, f"{index}.tar"))
            with open(layer_files[-1], "wb") as sink:
                diff_ids.append(write_layer(layer.tree, sink))
        image_config = ImageConfig(
            architecture=arch, created=identity.created, config=config,
            rootfs=RootFS(diff_ids=[f"sha256:{diff_id}" for diff_id in diff_ids]),
            history=[HistoryEntry(created=identity.created, comment=layer.comment) for layer in layers],
        ).render()
        config_name = hashlib.sha256(image_config.encode()).hexdigest() + ".json"
        ids = chain_ids(diff_ids)
        members: dict[str, bytes | str] = {config_name: image_config.encode()}
        for index, layer_id in enumerate(ids):
            legacy = LayerJson(id=layer_id, parent=ids[index - 1] if index else None, created=identity.created,
                               architecture=arch)
            members[f"{layer_id}/VERSION"] = LAYER_VERSION.encode()
            members[f"{layer_id}/json"] = legacy.render().encode()
            members[f"{layer_id}/layer.tar"] = layer_files[index]
        repo_tag = f"{identity.name}:{identity.tag}"
        members["manifest.json"] = Manifest([ManifestEntry(
            config=config_name, repo_tags=[repo_tag], layers=[f"{layer_id}/layer.tar" for layer_id in ids],
        )]).render().encode()
        members["repositories"] = Repositories({identity.name: {identity.tag: ids[-1]}}).render().encode() if ids \
            else b"{}"
        with open(out, "wb") as raw:
            if compressed:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=GZIP_LEVEL) as packed:
                    _write_members(packed, members)
            else:
                _write_members(raw, members)


def _write_members(sink: BinaryIO, members: dict[str, bytes | str]) -> None:
    """The outer tar: byte strings as files, strings as paths of files to copy; directories implied."""
    directories = sorted({os.path.dirname(name) for name in members} - {""})
    with tarfile.open(fileobj=sink, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted([*directories, *members]):
            info = tarfile.TarInfo(name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = MTIME, 0, 0, "", ""
            content = members.get(name)
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif isinstance(content, bytes):
                info.mode, info.size = 0o644, len(content)
                tar.addfile(info, io.BytesIO(content))
            else:
                info.mode, info.size = 0o644, os.path.getsize(content)
                with open(content, "rb") as source:
                    tar.addfile(info, source)


@dataclass(frozen=True)
class DockerArchive:
    """What ``docker load`` would read from an archive, every digest checked."""

    manifest: Manifest
    config: ImageConfig
    repositories: Repositories
    layers: list[str]
    """Member names of the layer tars, bottom first."""


def read_archive(path: str) -> DockerArchive:
    """Parse a docker-archive with our models and check each layer against its ``diff_id`` and the config's name."""
    try:
        with tarfile.open(path) as tar:
            manifest = _member(tar, "manifest.json", Manifest)
            if len(manifest.root) != 1:
                raise BuildError(f"'{path}' holds {len(manifest.root)} images, not one")
            entry = manifest.root[0]
            config_bytes = _read(tar, entry.config)
            if hashlib.sha256(config_bytes).hexdigest() + ".json" != entry.config:
                raise BuildError(f"image configuration '{entry.config}' does not have the digest it is named by")
            config = ImageConfig.model_validate_json(config_bytes)
            if len(entry.layers) != len(config.rootfs.diff_ids):
                raise BuildError("the manifest and the configuration list different numbers of layers")
            for layer, diff_id in zip(entry.layers, config.rootfs.diff_ids, strict=True):
                if "sha256:" + _sha256(_open(tar, layer)) != diff_id:
                    raise BuildError(f"layer '{layer}' does not match its diff_id {diff_id}")
                LayerJson.model_validate_json(_read(tar, os.path.join(os.path.dirname(layer), "json")))
            repositories = _member(tar, "repositories", Repositories)
    except (tarfile.TarError, OSError, KeyError) as error:
        raise BuildError(f"cannot read docker archive '{path}': {error}") from None
    except ValidationError as error:
        raise BuildError(f"invalid docker archive '{path}': {error.errors()[0]['msg']}") from None
    return DockerArchive(manifest, config, repositories, list(entry.layers))


def _open(tar: tarfile.TarFile, name: str) -> BinaryIO:
    member = tar.extractfile(name)
    if member is None:
        raise BuildError(f"'{name}' is not a file in the archive")
    return member


def _read(tar: tarfile.TarFile, name: str) -> bytes:
    return _open(tar, name).read()


def _sha256(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _member(tar: tarfile.TarFile, name: str, model: type[_M]) -> _M:
    return model.model_validate_json(_read(tar, name))
