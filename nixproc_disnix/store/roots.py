"""Garbage-collector roots: out links (``result``) and profile folders keep store paths alive.

As Nix's indirect roots, ``<store root>/gcroots/auto/<hash of the link's
path>`` points at the user's link; the collector follows it, and a link that
no longer exists simply stops counting.
"""
from __future__ import annotations

import hashlib
import os

from nixproc_disnix.errors import BuildError
from nixproc_disnix.store.store import Store


def roots_dir(store: Store) -> str:
    """Where the store's root links live."""
    return os.path.join(store.root, "gcroots", "auto")


def add_indirect_root(store: Store, link: str) -> None:
    """Register ``link`` (an out link, or a folder of profile links) as a root."""
    link = os.path.abspath(link)
    directory = roots_dir(store)
    os.makedirs(directory, exist_ok=True)
    name = hashlib.sha256(link.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    replace_symlink(link, os.path.join(directory, name))


def make_out_link(store: Store, link: str, store_path: str) -> None:
    """Point ``link`` at ``store_path`` in one step and make it a root (``nix-build -o``)."""
    try:
        replace_symlink(store_path, link)
    except OSError as error:
        raise BuildError(f"cannot link '{link}' to '{store_path}': {error.strerror}") from None
    add_indirect_root(store, link)


def replace_symlink(target: str, link: str) -> None:
    """Create or atomically replace the symlink ``link`` → ``target``; on failure nothing is left behind."""
    temporary = f"{link}.tmp-{os.getpid()}"
    if os.path.lexists(temporary):
        os.unlink(temporary)
    os.symlink(target, temporary)
    try:
        os.replace(temporary, link)
    except OSError:
        os.unlink(temporary)
        raise
