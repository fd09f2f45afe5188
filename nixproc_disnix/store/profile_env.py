"""``builtin:nixproc-profile``: the union of processes' outputs, as nixpkgs' ``buildEnv`` makes it.

A deployment profile (upstream's ``build-<pm>-env.nix``) links every
process's generated configuration into one tree: directories are merged,
files are symlinks to the outputs that provide them. Two outputs providing
the same file is a collision unless the files are identical (a user both
processes create, with the same attributes). Extra files the process
manager needs (e.g. ``supervisord.conf``) travel in ``files`` as for
``builtin:nixproc-files``.
"""
from __future__ import annotations

import filecmp
import json
import os

from nixproc_disnix.errors import BuildError
from nixproc_disnix.store.derivation import Derivation
from nixproc_disnix.store.instantiate import DerivationRequest

BUILDER = "builtin:nixproc-profile"


def request(name: str, system: str, paths: list[str], files: str = "{}") -> DerivationRequest:
    """The derivation the framework's profile builders make (``paths`` in the order given)."""
    env = {"builder": BUILDER, "files": files, "name": name, "paths": " ".join(paths), "system": system}
    return DerivationRequest(name=name, system=system, builder=BUILDER, env=env)


def build_profile(drv: Derivation, out: str) -> None:
    """Link each path's tree into ``out``, then add the extra files."""
    os.mkdir(out)
    providers: dict[str, str] = {}
    for path in drv.env.get("paths", "").split():
        if not os.path.isdir(path):
            raise BuildError(f"profile '{drv.name}': '{path}' is not a directory")
        _link_tree(path, out, "", providers)
    files = json.loads(drv.env.get("files", "{}"))
    for relative in sorted(files):
        target = os.path.join(out, relative)
        if os.path.lexists(target):
            raise BuildError(f"profile '{drv.name}': '{relative}' is provided by '{providers.get(relative)}' too")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(files[relative]["content"])
        os.chmod(target, 0o755 if files[relative].get("executable") else 0o644)


def _link_tree(source_root: str, out: str, relative: str, providers: dict[str, str]) -> None:
    """Merge ``source_root/relative`` into ``out/relative``: real directories, symlinked files."""
    source_dir = os.path.join(source_root, relative)
    for entry in sorted(os.listdir(source_dir)):
        entry_relative = os.path.join(relative, entry)
        source = os.path.join(source_dir, entry)
        target = os.path.join(out, entry_relative)
        if os.path.isdir(source) and not os.path.islink(source):
            if os.path.lexists(target) and not os.path.isdir(target):
                raise BuildError(f"collision between '{providers[entry_relative]}' and '{source}'")
            os.makedirs(target, exist_ok=True)
            _link_tree(source_root, out, entry_relative, providers)
        elif os.path.lexists(target):
            if not _same(os.readlink(target), source):
                raise BuildError(f"collision between '{os.readlink(target)}' and '{source}'")
        else:
            os.symlink(source, target)
            providers[entry_relative] = source


def _same(first: str, second: str) -> bool:
    """Identical files (or links to the same place) do not collide."""
    if os.path.islink(first) and os.path.islink(second):
        return os.readlink(first) == os.readlink(second)
    return os.path.isfile(first) and os.path.isfile(second) and filecmp.cmp(first, second, shallow=False)
