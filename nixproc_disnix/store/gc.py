"""``nixproc gc``: delete the store paths no root keeps alive (Nix's ``nix-store --gc``).

Roots are the links registered under ``<root>/gcroots`` (out links such as
``result``, and folders of profile generations, see :mod:`.roots`). What
they point at, everything that references, and the derivations that built
live paths (Nix's ``keep-derivations``) stay; every other path in the store
folder goes, valid or a leftover of an interrupted build.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from nixproc_disnix.errors import EvalError
from nixproc_disnix.store.paths import parse_store_path
from nixproc_disnix.store.roots import roots_dir
from nixproc_disnix.store.store import Store, remove_tree


@dataclass(frozen=True)
class GarbageReport:
    """What a collection deleted (or, dry, would delete) and how many bytes that frees."""

    deleted: list[str]
    freed_bytes: int


def find_roots(store: Store) -> set[str]:
    """The store paths the registered roots point at; roots whose link is gone are dropped."""
    found: set[str] = set()
    directory = roots_dir(store)
    if not os.path.isdir(directory):
        return found
    for entry in os.listdir(directory):
        registration = os.path.join(directory, entry)
        link = os.readlink(registration)
        if not os.path.lexists(link):
            os.unlink(registration)
            continue
        targets = [link]
        if os.path.isdir(link) and not os.path.islink(link):
            targets = [os.path.join(link, name) for name in os.listdir(link)]
        for target in targets:
            top = _store_path_of(store, os.path.realpath(target))
            if top is not None:
                found.add(top)
    return found


def live_paths(store: Store) -> set[str]:
    """The closure of the roots, with the derivations of live outputs and their closures."""
    live = store.closure(path for path in find_roots(store) if store.is_valid(path))
    pending = list(live)
    while pending:
        deriver = store.deriver(pending.pop())
        if deriver is not None and store.is_valid(deriver) and deriver not in live:
            added = store.closure([deriver]) - live
            live |= added
            pending.extend(added)
    return live


def collect_garbage(store: Store, dry_run: bool = False) -> GarbageReport:
    """Delete (unless ``dry_run``) every path of the store folder that is not live."""
    with store.exclusive():
        live = live_paths(store)
        # With the store to ourselves, temporary entries are leftovers of interrupted writes too.
        dead = sorted(
            path for path in (os.path.join(store.store_dir, name) for name in os.listdir(store.store_dir))
            if path not in live
        )
        freed = sum(_size(path) for path in dead)
        if not dry_run:
            store.invalidate(path for path in dead)
            for path in dead:
                remove_tree(path)
    return GarbageReport(deleted=dead, freed_bytes=freed)


def _store_path_of(store: Store, path: str) -> str | None:
    """The top-level store path ``path`` lies in, if any."""
    if not path.startswith(store.store_dir + "/"):
        return None
    top = os.path.join(store.store_dir, path[len(store.store_dir) + 1:].split("/", 1)[0])
    try:
        parse_store_path(top, store.store_dir)
    except EvalError:
        return None
    return top


def _size(path: str) -> int:
    if os.path.islink(path) or not os.path.isdir(path):
        return os.lstat(path).st_size
    return sum(
        os.lstat(os.path.join(folder, name)).st_size
        for folder, _, names in os.walk(path)
        for name in names
    )
