"""Store path computation as Nix 2.8 does it (libstore/store-api.cc, path.cc).

Every store path is ``<store_dir>/<hash>-<name>`` where ``<hash>`` is the
base-32 of a sha256, folded to 20 bytes, over
``<type>:sha256:<hex>:<store_dir>:<name>``. The store directory is part of
the hash, so it is a parameter everywhere.
"""
from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import Literal

from nixproc_disnix.errors import EvalError
from nixproc_disnix.store.hashing import Hash, base32_encode, compress_hash, hash_bytes, nix_bytes

DEFAULT_STORE_DIR = "/nix/store"
HASH_PART_LEN = 32
"""Base-32 characters in a store path's hash part (160 bits)."""
MAX_NAME_LEN = 211
DRV_EXTENSION = ".drv"

IngestionMethod = Literal["flat", "recursive"]

_NAME_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+-._?=")
_HASH_PART_CHARS = frozenset("0123456789abcdfghijklmnpqrsvwxyz")


def check_store_path_name(base_name: str, name: str) -> None:
    """Nix's ``checkName``: non-empty, at most 211 bytes, only ``[0-9a-zA-Z+-._?=]``.

    Nix 2.8 allows a leading dot (``builtins.toFile ".x"`` works). ``base_name``
    (``<hash>-<name>``) is only for the message, which Nix words around it.
    """
    if not name:
        raise EvalError(f"store path '{base_name}' has an empty name")
    if len(nix_bytes(name)) > MAX_NAME_LEN:
        raise EvalError(f"store path '{base_name}' has a name longer than {MAX_NAME_LEN} characters")
    for c in name:
        if c not in _NAME_CHARS:
            raise EvalError(f"store path '{base_name}' contains illegal character '{c}'")


def make_store_path(type: str, digest: bytes | str, name: str, store_dir: str = DEFAULT_STORE_DIR) -> str:
    """Nix's ``makeStorePath`` for a sha256 ``digest`` (raw bytes or base-16)."""
    hex_digest = digest.hex() if isinstance(digest, bytes) else digest
    fingerprint = f"{type}:sha256:{hex_digest}:{store_dir}:{name}"
    base_name = base32_encode(compress_hash(hash_bytes("sha256", fingerprint).digest)) + "-" + name
    check_store_path_name(base_name, name)
    return f"{store_dir}/{base_name}"


def make_text_path(
    name: str, text: str | bytes, references: Iterable[str] = (), store_dir: str = DEFAULT_STORE_DIR
) -> str:
    """Where ``builtins.toFile`` (and a ``.drv`` file) lands: type ``text`` plus its references."""
    return make_store_path(
        _make_type("text", references, store_dir), hash_bytes("sha256", text).digest, name, store_dir
    )


def make_fixed_output_path(
    name: str,
    method: IngestionMethod,
    hash: Hash,
    references: Iterable[str] = (),
    store_dir: str = DEFAULT_STORE_DIR,
) -> str:
    """Nix's ``makeFixedOutputPath``: recursive sha256 is a ``source`` path, all else ``output:out``.

    Only ``source`` paths can carry references; Nix asserts that others have none.
    """
    if hash.algo == "sha256" and method == "recursive":
        return make_store_path(_make_type("source", references, store_dir), hash.digest, name, store_dir)
    if list(references):
        raise ValueError("only recursive sha256 paths may have references")
    prefix = "r:" if method == "recursive" else ""
    inner = hash_bytes("sha256", f"fixed:out:{prefix}{hash.to_string('base16', include_type=True)}:")
    return make_store_path("output:out", inner.digest, name, store_dir)


def output_path_name(drv_name: str, output_name: str) -> str:
    """Outputs other than ``out`` get ``-<output>`` appended to the derivation name."""
    return drv_name if output_name == "out" else f"{drv_name}-{output_name}"


def make_output_path(
    output_name: str, drv_hash: bytes, drv_name: str, store_dir: str = DEFAULT_STORE_DIR
) -> str:
    """Nix's ``makeOutputPath``: an input-addressed output from the derivation's modulo hash."""
    return make_store_path(f"output:{output_name}", drv_hash, output_path_name(drv_name, output_name), store_dir)


def parse_store_path(path: str, store_dir: str = DEFAULT_STORE_DIR) -> tuple[str, str]:
    """Nix's ``parseStorePath``: the (hash part, name) of a path directly inside ``store_dir``."""
    if not path.startswith("/"):
        raise EvalError(f"not an absolute path: '{path}'")
    canon = posixpath.normpath(path)
    if canon.startswith("//"):
        canon = canon[1:]
    directory, base_name = posixpath.split(canon)
    if directory != store_dir:
        raise EvalError(f"path '{canon}' is not in the Nix store")
    if len(base_name) < HASH_PART_LEN + 1:
        raise EvalError(f"'{base_name}' is too short to be a valid store path")
    hash_part, name = base_name[:HASH_PART_LEN], base_name[HASH_PART_LEN + 1 :]
    for c in hash_part:
        if c not in _HASH_PART_CHARS:
            raise EvalError(f"store path '{base_name}' contains illegal base-32 character '{c}'")
    check_store_path_name(base_name, name)
    return hash_part, name


def store_name(path: str) -> str:
    """The name of a store path, or of anything named like one: its base name without the ``<hash>-`` prefix.

    Whatever store the path is in (ours is rarely ``/nix/store``); a base name
    without a store hash is its own name.
    """
    base_name = posixpath.basename(path.rstrip("/"))
    hash_part = base_name[:HASH_PART_LEN]
    if len(base_name) > HASH_PART_LEN + 1 and base_name[HASH_PART_LEN] == "-" and set(hash_part) <= _HASH_PART_CHARS:
        return base_name[HASH_PART_LEN + 1:]
    return base_name


def sorted_store_paths(paths: Iterable[str]) -> list[str]:
    """Distinct store paths in Nix's ``StorePathSet`` order (byte-wise)."""
    return sorted(set(paths), key=nix_bytes)


def _make_type(type: str, references: Iterable[str], store_dir: str) -> str:
    refs = sorted_store_paths(references)
    for ref in refs:
        parse_store_path(ref, store_dir)
    return ":".join([type, *refs])
