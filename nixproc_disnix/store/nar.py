"""NAR serialisation of a file tree, as Nix 2.8's ``dumpPath`` (libutil/archive.cc).

The NAR is what recursive hashes (``builtins.path``, source paths,
``outputHashMode = "recursive"``) are taken over. It is produced as a
stream of chunks so a tree is hashed without holding it in memory.
"""
from __future__ import annotations

import hashlib
import os
import stat
import struct
from collections.abc import Callable, Iterator

from nixproc_disnix.errors import EvalError
from nixproc_disnix.store.hashing import Hash, parse_hash_algo
from nixproc_disnix.store.syserror import sys_error

PathFilter = Callable[[str, str], bool]
"""``(path, type) -> keep?`` with type ``regular``/``directory``/``symlink``/``unknown``,
the arguments ``builtins.filterSource`` and ``builtins.path``'s ``filter`` receive."""

NAR_MAGIC = b"nix-archive-1"
_CHUNK = 65536


def nar_chunks(path: str, filter: PathFilter | None = None) -> Iterator[bytes]:
    """The NAR of ``path``; ``filter`` is asked about every entry below it, never about ``path`` itself."""
    yield _string(NAR_MAGIC)
    yield from _dump(os.fsencode(path), filter)


def nar_hash(path: str, algo: str = "sha256", filter: PathFilter | None = None) -> Hash:
    """Hash of the NAR of ``path`` (``nix-hash --type <algo> <path>``)."""
    h = hashlib.new(parse_hash_algo(algo))
    for chunk in nar_chunks(path, filter):
        h.update(chunk)
    return Hash(algo, h.digest())


def file_type(st: os.stat_result) -> str:
    """The type word Nix passes to path filters."""
    if stat.S_ISREG(st.st_mode):
        return "regular"
    if stat.S_ISDIR(st.st_mode):
        return "directory"
    if stat.S_ISLNK(st.st_mode):
        return "symlink"
    return "unknown"


def _filter_type(path: bytes) -> str:
    with sys_error("getting status of", path):
        return file_type(os.lstat(path))


def _string(data: bytes) -> bytes:
    """NAR strings: little-endian u64 length, bytes, zero padding to 8."""
    return struct.pack("<Q", len(data)) + data + bytes(-len(data) % 8)


def _dump(path: bytes, filter: PathFilter | None) -> Iterator[bytes]:
    with sys_error("getting status of", path):
        st = os.lstat(path)
    kind = file_type(st)
    yield _string(b"(")
    if kind == "regular":
        yield _string(b"type") + _string(b"regular")
        if st.st_mode & stat.S_IXUSR:
            yield _string(b"executable") + _string(b"")
        yield _string(b"contents") + struct.pack("<Q", st.st_size)
        with sys_error("opening file", path):
            f = open(path, "rb")
        with f:
            left = st.st_size
            while left > 0:
                chunk = f.read(min(left, _CHUNK))
                if not chunk:
                    raise EvalError("unexpected end-of-file")
                left -= len(chunk)
                yield chunk
        yield bytes(-st.st_size % 8)
    elif kind == "directory":
        yield _string(b"type") + _string(b"directory")
        with sys_error("opening directory", path):
            names = sorted(os.listdir(path))
        for name in names:
            child = path + b"/" + name
            if filter is None or filter(os.fsdecode(child), _filter_type(child)):
                yield _string(b"entry") + _string(b"(") + _string(b"name") + _string(name) + _string(b"node")
                yield from _dump(child, filter)
                yield _string(b")")
    elif kind == "symlink":
        with sys_error("reading symbolic link", path):
            target = os.readlink(path)
        yield _string(b"type") + _string(b"symlink") + _string(b"target") + _string(target)
    else:
        raise EvalError(f"file '{os.fsdecode(path)}' has an unsupported type")
    yield _string(b")")
