"""The image of one docker process, built into the process's own output after its files.

The docker backend's output names its image (``dockerImage=<out>/<name>-docker-image.tar.gz``)
and the image's command is the output's foreground proxy, so each needs the
other's path. Building the image in the same derivation, after the files,
breaks the cycle: the generator puts the image's description (:class:`ProcessImage`)
in the ``image`` attribute of its ``builtin:nixproc-files`` derivation, and
the builder, once the files are written, builds the image of that output.
One derivation per process remains, the same from Nix code and from
``nixproc-generate-config``.

The image holds what the command needs, so it runs whether or not the
container mounts the host's store:

- the output and the closure of the store paths it names, at their store
  paths, but the images in the outputs of the processes it depends on
  (which are in its closure for their order only);
- the host files those need (``--pkgs host`` packages link into the host), as
  the multi-process image has them (``host_closure``);
- our tools (``nixproc-init-state``, ``nixproc-chainload-user``) in ``/bin``,
  run by the host's Python with this installation's packages (``tools``);
- the programs of upstream's base packages (coreutils, sed, grep,
  hostname: what every container of upstream finds on its ``PATH``, for
  ``initialize`` and the proxy) in ``/bin``, links to the host's;
- the accounts: root, the process's ``dysnomia-support`` groups and users,
  computed as ``image/accounts.py`` does, not by running ``useradd``;
- the contents (over all of the above), then ``extraCommands`` (``/run``,
  ``/tmp``, ``/var/run``).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nixproc_disnix.backends.common.output import GeneratedFile, Symlink, write_output
from nixproc_disnix.errors import BuildError
from nixproc_disnix.image.accounts import AccountsSpec, image_accounts
from nixproc_disnix.image.archive import ImageIdentity, write_archive
from nixproc_disnix.image.build import (
    DEFAULT_CREATED,
    image_layers,
    merge_contents,
    run_extra_commands,
    store_paths_tree,
)
from nixproc_disnix.image.tools import python_environment, tools
from nixproc_disnix.image.tree import Directory, RegularFile, Tree, walk
from nixproc_disnix.model.docker_archive import ContainerConfig
from nixproc_disnix.pkgs.host import find_executable, search_dirs
from nixproc_disnix.pkgs.package_set import load_table
from nixproc_disnix.store.derivation import Derivation
from nixproc_disnix.store.generated_files import HOST_PATH, OUT_PLACEHOLDER, mentioned_store_paths
from nixproc_disnix.store.store import Store, remove_tree

ATTRIBUTE = "image"
"""The attribute of a ``builtin:nixproc-files`` derivation that asks for the image, :class:`ProcessImage` as JSON."""
IMAGE_FILE_SUFFIX = "-docker-image.tar.gz"
"""An output's image is ``<name>-docker-image.tar.gz`` at its top."""
BASE_PACKAGES = ("coreutils", "gnused", "gnugrep", "inetutils")
"""Upstream's ``basePackages`` of a container: their programs, as the host package table names them."""
TOOLS_BIN = "/bin"
"""Where our console scripts are in the image (the last entry of the process's ``PATH``); the Python
packages they run with are linked in ``/lib/nixproc/site-packages``."""


class ProcessImage(BaseModel):
    """What the builder makes of a process's output: ``file`` in the output, an image of ``name:tag``.

    Paths may hold the output's placeholder (``OUT_PLACEHOLDER``), as the files do.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    file: str = Field(min_length=1)
    name: str = Field(min_length=1)
    tag: str = Field(min_length=1)
    config: ContainerConfig
    contents: list[str] = []
    keep_contents_dirlinks: bool = Field(False, alias="keepContentsDirlinks")
    extra_commands: str = Field("", alias="extraCommands")
    accounts: AccountsSpec = AccountsSpec()
    created: str = DEFAULT_CREATED

    def render(self) -> str:
        return self.model_dump_json(by_alias=True, exclude_none=True)


def build_process_image(store: Store, drv: Derivation, out: str, log_path: str) -> None:
    """Build the image ``drv``'s ``image`` attribute describes into ``out``, whose files are written."""
    try:
        image = ProcessImage.model_validate_json(drv.env[ATTRIBUTE].replace(OUT_PLACEHOLDER, out))
    except ValidationError as error:
        raise BuildError(f"derivation '{drv.name}' has no valid '{ATTRIBUTE}' attribute: {error}") from None
    target = os.path.join(out, image.file)
    if os.path.lexists(target):
        raise BuildError(f"the image of '{drv.name}' would replace its file '{image.file}'")
    store_tree = _without_images(store_paths_tree(store, mentioned_store_paths(drv, store.store_dir)), store.store_dir)
    store_tree.update(_read_only(walk(out, out)))
    staging = tempfile.mkdtemp(prefix=".tmp-image-", dir=os.path.dirname(out))
    try:
        root = Path(staging)
        write_output(python_environment().files, root)
        write_output(tools("").files, root)
        write_output(base_programs(search_dirs(HOST_PATH)), root)
        write_output({relative: GeneratedFile(content) for relative, content in image_accounts(image.accounts).items()},
                     root)
        # The model's contents come last, so they may replace any of the above.
        for content in image.contents:
            merge_contents(content, staging, follow_dirlinks=not image.keep_contents_dirlinks)
        run_extra_commands(image.extra_commands, staging, HOST_PATH, log_path, image.name)
        identity = ImageIdentity(name=image.name, tag=image.tag, system=drv.env.get("system", ""), created=image.created)
        layers = image_layers(store_tree, staging, store.store_dir, HOST_PATH)
        write_archive(target, identity, image.config, layers, compressed=True)
    finally:
        remove_tree(staging)


def base_programs(dirs: list[str]) -> dict[str, GeneratedFile | Symlink]:
    """``bin/<program>`` → the host's program, for each program of :data:`BASE_PACKAGES` found on ``dirs``."""
    table = load_table()
    links: dict[str, GeneratedFile | Symlink] = {}
    for name in BASE_PACKAGES:
        package = table.packages[name]
        for program in [*package.bin, *package.optional_bin]:
            found = find_executable([program, *package.alternatives.get(program, [])], dirs)
            if found is not None:
                links[f"bin/{program}"] = Symlink(found)
    return links


def _without_images(tree: Tree, store_dir: str) -> Tree:
    """``tree`` without the images at the top of store paths: those of the outputs a process depends on."""
    return {path: entry for path, entry in tree.items()
            if not (path.endswith(IMAGE_FILE_SUFFIX) and os.path.dirname(os.path.dirname(path)) == store_dir)}


def _read_only(tree: Tree) -> Tree:
    """The output's entries as they will be in the store: the builder makes the output read-only after the image."""
    return {
        path: RegularFile(entry.source, entry.mode & ~0o222) if isinstance(entry, RegularFile)
        else Directory(entry.mode & ~0o222) if isinstance(entry, Directory) else entry
        for path, entry in tree.items()
    }
