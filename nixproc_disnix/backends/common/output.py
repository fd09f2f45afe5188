"""What a backend generator produces: relative paths mapped to files and symlinks.

Generators stay pure by returning these; writing them into a store path or a
profile is the caller's job (:func:`write_output`).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from nixproc_disnix.errors import BuildError
from nixproc_disnix.store.generated_files import OUT_PLACEHOLDER

_PATH_CHARACTERS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+-._?=/")


@dataclass(frozen=True)
class GeneratedFile:
    """A regular file; ``executable`` scripts get mode 0755, the rest 0644."""

    content: str
    executable: bool = False

    @property
    def mode(self) -> int:
        return 0o755 if self.executable else 0o644


@dataclass(frozen=True)
class Symlink:
    """A symbolic link, its target kept verbatim (usually relative, e.g. ``../init.d/webapp``)."""

    target: str


GeneratedOutput = Mapping[str, GeneratedFile | Symlink]
"""Relative path (``/``-separated) → what is there."""


def in_output(relative: str) -> str:
    """The absolute path ``relative`` will have once the output is written (see :data:`OUT_PLACEHOLDER`)."""
    return f"{OUT_PLACEHOLDER}/{relative}"


def write_output(output: GeneratedOutput, root: Path) -> None:
    """Create every entry of ``output`` under ``root``, with parent directories.

    :data:`OUT_PLACEHOLDER` becomes ``root``; the files may use it inside
    quoted or unquoted shell words, so ``root`` must then consist of store
    path characters only.
    """
    for relative, entry in output.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(entry, Symlink):
            os.symlink(_with_root(entry.target, root), path)
        else:
            path.write_text(_with_root(entry.content, root))
            path.chmod(entry.mode)


def _with_root(text: str, root: Path) -> str:
    if OUT_PLACEHOLDER not in text:
        return text
    if not set(str(root)) <= _PATH_CHARACTERS:
        raise BuildError(f"output path '{root}' has characters a store path cannot have; its files refer to it")
    return text.replace(OUT_PLACEHOLDER, str(root))
