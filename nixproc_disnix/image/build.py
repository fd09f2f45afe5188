"""``builtin:nixproc-docker-image``: nixpkgs' ``dockerTools.buildImage`` without Nix, a VM or root.

The derivation (``pkgs.dockerTools.buildImage``) names everything in its
attributes: ``contents`` (store paths whose trees are merged into ``/``, as
``rsync -ak`` merges them upstream), ``config`` (the container
configuration, JSON), ``extraCommands`` (bash run in the image root after
the contents are in place). The output is a docker-archive with three layers:

1. host files: what the ``--pkgs host`` packages link and need to run
   (``host_closure``);
2. store paths: the closure of every store path the attributes name, at
   their store paths, so the configuration's commands and the contents'
   links resolve;
3. the image root: the merged contents after ``extraCommands``.

Layers are reproducible tars, so the same derivation built twice is the
same bytes (``tree``). ``runAsRoot`` needs a VM and is refused where the
derivation is made; what upstream's image steps do as root, ours do in
``extraCommands`` and with ``builtin:nixproc-accounts``.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nixproc_disnix.errors import BuildError
from nixproc_disnix.image.archive import ImageIdentity, Layer, write_archive
from nixproc_disnix.image.host_closure import host_closure
from nixproc_disnix.image.tree import Tree, walk
from nixproc_disnix.model.docker_archive import ContainerConfig
from nixproc_disnix.pkgs.host import search_dirs
from nixproc_disnix.store.derivation import Derivation
from nixproc_disnix.store.generated_files import mentioned_store_paths
from nixproc_disnix.store.paths import parse_store_path
from nixproc_disnix.store.store import Store, remove_tree

BUILDER = "builtin:nixproc-docker-image"
DEFAULT_CREATED = "1970-01-01T00:00:01Z"


class ImageAttributes(BaseModel):
    """The attributes of a ``builtin:nixproc-docker-image`` derivation."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    image_name: str = Field(alias="imageName", min_length=1)
    image_tag: str = Field("", alias="imageTag")
    contents: str = ""
    """Store paths, separated by spaces (a Nix list in a derivation attribute)."""
    config: str = "{}"
    extra_commands: str = Field("", alias="extraCommands")
    created: str = DEFAULT_CREATED
    keep_contents_dirlinks: str = Field("", alias="keepContentsDirlinks")
    host_path: str = Field("/usr/local/bin:/usr/bin:/bin", alias="hostPath")
    system: str


def build_image(store: Store, drv: Derivation, out: str, log_path: str) -> None:
    """Build ``drv``: the docker-archive of its image at ``out``."""
    try:
        attributes = ImageAttributes.model_validate(drv.env)
        config = ContainerConfig.model_validate(json.loads(attributes.config))
    except (ValueError, ValidationError) as error:
        raise BuildError(f"image '{drv.name}' has invalid attributes: {error}") from None
    store_tree = store_paths_tree(store, mentioned_store_paths(drv, store.store_dir))
    staging = tempfile.mkdtemp(prefix=".tmp-image-", dir=os.path.dirname(out))
    try:
        for content in attributes.contents.split():
            merge_contents(content, staging, follow_dirlinks=not attributes.keep_contents_dirlinks)
        run_extra_commands(attributes.extra_commands, staging, attributes.host_path, log_path, attributes.image_name)
        identity = ImageIdentity(
            name=attributes.image_name,
            tag=attributes.image_tag or parse_store_path(out, store.store_dir)[0],
            system=attributes.system,
            created=_created(attributes.created),
        )
        write_archive(out, identity, config, image_layers(store_tree, staging, store.store_dir, attributes.host_path))
    finally:
        remove_tree(staging)


def store_paths_tree(store: Store, paths: Iterable[str]) -> Tree:
    """The store layer's files: the closure of those of ``paths`` that are valid, each at its own path."""
    tree: Tree = {}
    for path in sorted(store.closure(p for p in paths if store.is_valid(p))):
        tree.update(walk(path, path))
    return tree


def image_layers(store_tree: Tree, root: str, store_dir: str, host_path: str) -> list[Layer]:
    """The layers of an image of ``store_tree`` whose root is the directory ``root``: host files, store, root.

    ``host_path`` finds the interpreters scripts name through ``env``. Empty layers are left out.
    """
    root_tree = walk(root, "/")
    del root_tree["/"]
    host_tree = host_closure(store_tree, root_tree, store_dir, search_dirs(host_path))
    layers = [Layer(host_tree, "host files the packages need"), Layer(store_tree, "store paths"),
              Layer(root_tree, "image root: contents and extraCommands")]
    return [layer for layer in layers if layer.tree]


def _created(created: str) -> str:
    """``"now"`` as upstream allows it (then the image is not reproducible), else the time given."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) if created == "now" else created


def merge_contents(source: str, target: str, follow_dirlinks: bool = True) -> None:
    """Merge the tree ``source`` into ``target`` as ``rsync -a[k]`` does; files get owner write permission.

    With ``follow_dirlinks`` (``-k``) a link to a directory is copied as
    that directory; otherwise as the link. Later contents replace earlier
    files of the same name.
    """
    active: set[str] = set()

    def merge(src_dir: str, dst_dir: str) -> None:
        real = os.path.realpath(src_dir)
        if real in active:
            raise BuildError(f"contents '{source}' link '{src_dir}' back into itself")
        active.add(real)
        for name in sorted(os.listdir(src_dir)):
            src, dst = os.path.join(src_dir, name), os.path.join(dst_dir, name)
            st = os.lstat(src)
            as_directory = stat.S_ISDIR(st.st_mode) or (follow_dirlinks and stat.S_ISLNK(st.st_mode)
                                                        and os.path.isdir(src))
            if os.path.lexists(dst) and (not as_directory or os.path.islink(dst) or not os.path.isdir(dst)):
                _remove(dst)
            if as_directory:
                os.makedirs(dst, exist_ok=True)
                merge(src, dst)
            elif stat.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(src), dst)
            elif stat.S_ISREG(st.st_mode):
                shutil.copyfile(src, dst)
                os.chmod(dst, stat.S_IMODE(st.st_mode) | stat.S_IWUSR)
        active.discard(real)

    merge(source, target)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        remove_tree(path)
    else:
        os.unlink(path)


def run_extra_commands(extra_commands: str, root: str, host_path: str, log_path: str, image_name: str) -> None:
    """``extraCommands`` in the image root, as upstream runs it: bash, no root, the host's tools."""
    if not extra_commands:
        return
    with open(log_path, "ab") as log:
        status = subprocess.run(
            ["bash", "-e", "-c", extra_commands], cwd=root, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, env={"PATH": host_path, "HOME": "/homeless-shelter"}, check=False,
        ).returncode
    if status != 0:
        raise BuildError(f"extraCommands of image '{image_name}' failed with exit code {status}")
