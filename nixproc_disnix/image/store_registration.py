"""``builtin:nixproc-store-registration``: our store's database for an image, registering what the image holds.

Upstream's mutable image loads the closure of its contents into the
image's Nix database (``nix-store --load-db``) so Nix inside the container
knows those paths are valid, and roots them so its collector keeps them.
Our tools inside a container use our store, so this derivation's output is

- ``db.sqlite``: the closure of the store paths ``rootPaths`` names,
  registered valid with their references, at a fixed time so equal paths
  give an equal database;
- ``roots``: those store paths, one per line, for the image to root.

The image step copies the database where the store keeps it (beside the
store directory) and links the roots.
"""
from __future__ import annotations

import os

from nixproc_disnix.store.derivation import Derivation
from nixproc_disnix.store.generated_files import mentioned_store_paths
from nixproc_disnix.store.store import PathRegistration, Store

BUILDER = "builtin:nixproc-store-registration"
REGISTRATION_TIME = 1


def build_registration(store: Store, drv: Derivation, out: str) -> None:
    """Build ``drv`` from what ``store`` knows of the paths its ``rootPaths`` attribute names."""
    roots = sorted(path for path in mentioned_store_paths(drv, store.store_dir) if store.is_valid(path))
    closure = sorted(store.closure(roots))
    os.mkdir(out)
    with open(os.path.join(out, "roots"), "w", encoding="utf-8", errors="surrogateescape") as handle:
        handle.writelines(root + "\n" for root in roots)
    database = Store(out, store.store_dir)
    try:
        database.register((PathRegistration(path, store.references(path)) for path in closure), REGISTRATION_TIME)
    finally:
        database.close()
    os.rmdir(database.lock_dir)
    os.rmdir(database.log_dir)
    os.unlink(os.path.join(out, "gc.lock"))
