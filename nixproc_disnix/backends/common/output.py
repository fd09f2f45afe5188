"""What a backend generator produces: relative paths mapped to files and symlinks.

Generators stay pure by returning these; writing them into a store path or a
profile is the caller's job (:func:`write_output`).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


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


def write_output(output: GeneratedOutput, root: Path) -> None:
    """Create every entry of ``output`` under ``root``, with parent directories."""
    for relative, entry in output.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(entry, Symlink):
            os.symlink(entry.target, path)
        else:
            path.write_text(entry.content)
            path.chmod(entry.mode)
