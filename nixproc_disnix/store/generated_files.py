"""``builtin:nixproc-files``: a derivation whose output is a set of files computed at evaluation time.

Backend generators are pure Python; their output (init scripts, units,
agnostic JSON) is known before anything is built. Running a shell per
process only to write those files would be slow and would pass model text
through a shell, so the files travel in the derivation's ``files``
attribute (ASCII JSON: relative path → ``{"content", "executable"}`` or
``{"symlink"}``) and the builder writes them in-process. ``postInstall``,
the model author's own build code, then runs with bash in the output.

Such a derivation has no inputs (the processes' store paths are only text
in its files), so ``nixproc-generate-config`` can compute the very same
derivation without evaluating Nix; the store paths its files mention are
found by scanning the text for valid store paths.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping

from nixproc_disnix.errors import BuildError
from nixproc_disnix.store.derivation import Derivation
from nixproc_disnix.store.hashing import base32_encode, hash_bytes
from nixproc_disnix.store.instantiate import DerivationRequest
from nixproc_disnix.store.paths import HASH_PART_LEN

BUILDER = "builtin:nixproc-files"
OUT_PLACEHOLDER = "/" + base32_encode(hash_bytes("sha256", b"nix-output:out").digest)
"""Nix's ``builtins.placeholder "out"``: stands for the output's own path inside the files.

A file naming another file of the same output (a config line pointing at a
wrapper script in ``bin/``) cannot know the store path yet; the builder
replaces this string by the output's path, as Nix does in a derivation's
attributes.
"""
HOST_PATH = "/usr/local/bin:/usr/bin:/bin"
"""``PATH`` for ``postInstall``: upstream runs it with stdenv's tools, here the host's."""

FileEntry = Mapping[str, str | bool]


def files_json(files: Mapping[str, FileEntry]) -> str:
    """The ``files`` attribute: sorted, ASCII-only, so Nix and Python spell it identically."""
    return json.dumps(dict(files), sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def request(name: str, system: str, files: str, post_install: str = "", image: str = "") -> DerivationRequest:
    """The derivation ``derivation { name; system; builder; files; postInstall; [image;] }`` makes in Nix.

    ``image`` (an image to build into the output after the files) is an
    attribute only when given, so outputs without one keep their paths.
    """
    env = {"builder": BUILDER, "files": files, "name": name, "postInstall": post_install, "system": system}
    if image:
        env["image"] = image
    return DerivationRequest(name=name, system=system, builder=BUILDER, env=env)


def write_files(drv: Derivation, out: str, log_path: str) -> None:
    """Build ``drv``: create ``out`` with its files, then run its ``postInstall`` there."""
    try:
        files = json.loads(drv.env["files"])
    except (KeyError, ValueError) as error:
        raise BuildError(f"derivation '{drv.name}' has no valid 'files' attribute: {error}") from None
    os.mkdir(out)
    for relative, entry in sorted(files.items()):
        path = os.path.join(out, relative)
        if os.path.isabs(relative) or ".." in relative.split("/"):
            raise BuildError(f"derivation '{drv.name}' writes outside its output: '{relative}'")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if "symlink" in entry:
            os.symlink(entry["symlink"].replace(OUT_PLACEHOLDER, out), path)
            continue
        with open(path, "wb") as handle:
            handle.write(entry["content"].replace(OUT_PLACEHOLDER, out).encode("utf-8", "surrogateescape"))
        os.chmod(path, 0o755 if entry.get("executable") else 0o644)
    post_install = drv.env.get("postInstall", "")
    if post_install:
        with open(log_path, "wb") as log:
            status = subprocess.run(
                ["bash", "-e", "-c", post_install],
                cwd=out, env={"out": out, "PATH": HOST_PATH, "HOME": "/homeless-shelter"},
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, check=False,
            ).returncode
        if status != 0:
            raise BuildError(f"postInstall of '{drv.name}' failed with exit code {status}")


def mentioned_store_paths(drv: Derivation, store_dir: str) -> set[str]:
    """Top-level store paths named in the attributes of a builtin derivation: its references' candidates.

    Our builtin derivations have no inputs; what their output refers to is
    only named in their attributes (files' text, a profile's paths).
    """
    pattern = re.compile(re.escape(store_dir) + r"/[0-9a-df-np-sv-z]{%d}-[A-Za-z0-9+\-._?=]+" % HASH_PART_LEN)
    return {path for value in drv.env.values() for path in pattern.findall(value)}
