"""Where a local file tree lands when Nix 2.8 adds it to the store.

``"${./dir}"``, ``builtins.path`` and ``builtins.filterSource`` all end in
``computeStorePathForPath``: hash the tree (NAR, sha256) or the file (flat)
and make a fixed-output path under the chosen name.
"""
from __future__ import annotations

import posixpath

from nixproc_disnix.store.hashing import hash_file
from nixproc_disnix.store.nar import PathFilter, nar_hash
from nixproc_disnix.store.paths import DEFAULT_STORE_DIR, make_fixed_output_path


def source_store_path(
    path: str,
    name: str | None = None,
    recursive: bool = True,
    filter: PathFilter | None = None,
    store_dir: str = DEFAULT_STORE_DIR,
) -> str:
    """The store path of ``path`` added under ``name`` (default: its base name, as Nix's ``baseNameOf``).

    ``recursive=False`` hashes the file's contents (``builtins.path { recursive = false; }``),
    where Nix ignores ``filter``.
    """
    if name is None:
        name = posixpath.basename(path[:-1] if len(path) > 1 and path.endswith("/") else path)
    if recursive:
        return make_fixed_output_path(name, "recursive", nar_hash(path, "sha256", filter), store_dir=store_dir)
    return make_fixed_output_path(name, "flat", hash_file("sha256", path), store_dir=store_dir)
