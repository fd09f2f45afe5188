"""The files of an image layer, and the one tar each set of files gives.

A layer is a mapping from absolute paths in the image to entries: a
directory, a regular file read from a source path, or a symbolic link. Its
tar is deterministic: entries sorted by path (so parents precede children),
every missing parent made a directory, mtime ``MTIME``, owner and group 0,
no user or group names. The same files therefore always give the same bytes
and the same ``diff_id``.
"""
from __future__ import annotations

import hashlib
import os
import stat
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from nixproc_disnix.errors import BuildError

MTIME = 1
"""What Nix gives store paths (``canonicalisePathMetaData``), and so every entry of our layers."""
DIRECTORY_MODE = 0o755


@dataclass(frozen=True)
class Directory:
    mode: int = DIRECTORY_MODE


@dataclass(frozen=True)
class RegularFile:
    source: str
    """Where the content is read from when the layer is written."""
    mode: int


@dataclass(frozen=True)
class Symlink:
    target: str


Entry = Directory | RegularFile | Symlink
Tree = dict[str, Entry]
"""Absolute image path (no trailing slash) → entry."""


def walk(source: str, image_path: str) -> Tree:
    """The entries of the host tree ``source`` (a file, link or directory) placed at ``image_path``.

    Sockets, devices and FIFOs have no place in an image and are left out.
    """
    tree: Tree = {}
    stack = [(source, image_path)]
    while stack:
        host, target = stack.pop()
        st = os.lstat(host)
        if stat.S_ISLNK(st.st_mode):
            tree[target] = Symlink(os.readlink(host))
        elif stat.S_ISDIR(st.st_mode):
            tree[target] = Directory(stat.S_IMODE(st.st_mode))
            stack.extend((os.path.join(host, name), f"{target.rstrip('/')}/{name}") for name in os.listdir(host))
        elif stat.S_ISREG(st.st_mode):
            tree[target] = RegularFile(host, stat.S_IMODE(st.st_mode))
    return tree


def with_parents(tree: Mapping[str, Entry]) -> Tree:
    """``tree`` plus a directory entry for every parent it lacks, the root excepted."""
    complete = dict(tree)
    for path in tree:
        parent = os.path.dirname(path)
        while parent != "/" and parent not in complete:
            complete[parent] = Directory()
            parent = os.path.dirname(parent)
    complete.pop("/", None)
    return complete


def sorted_entries(tree: Mapping[str, Entry]) -> Iterator[tuple[str, Entry]]:
    """Every entry (parents added), in path order: a parent before its children."""
    complete = with_parents(tree)
    for path in sorted(complete):
        yield path, complete[path]


class _Hashing:
    """A write-only stream that hashes what passes through it."""

    def __init__(self, sink: BinaryIO) -> None:
        self.sink = sink
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        return self.sink.write(data)


def write_layer(tree: Mapping[str, Entry], sink: BinaryIO) -> str:
    """Write ``tree``'s tar to ``sink``; the sha256 of the bytes written (hex), its ``diff_id``."""
    hashing = _Hashing(sink)
    with tarfile.open(fileobj=hashing, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
        for path, entry in sorted_entries(tree):
            info = tarfile.TarInfo(path.lstrip("/"))
            info.mtime = MTIME
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if isinstance(entry, Directory):
                info.type, info.mode = tarfile.DIRTYPE, entry.mode
                tar.addfile(info)
            elif isinstance(entry, Symlink):
                info.type, info.mode, info.linkname = tarfile.SYMTYPE, 0o777, entry.target
                tar.addfile(info)
            else:
                info.mode = entry.mode
                try:
                    with open(entry.source, "rb") as content:
                        info.size = os.fstat(content.fileno()).st_size
                        tar.addfile(info, content)
                except OSError as error:
                    raise BuildError(f"cannot read '{entry.source}' for the image: {error.strerror}") from None
    return hashing.sha256.hexdigest()
