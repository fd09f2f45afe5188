"""Our nix-processmgmt framework: Nix files at upstream's import paths, backed by our generators.

Models written for nix-processmgmt import files such as
``${nix-processmgmt}/nixproc/create-managed-process/universal/create-managed-process-universal.nix``.
This folder holds our ``nixproc/`` tree with the same paths and function
headers; ``<nix-processmgmt>`` resolves here unless the search path names
another checkout (``-I nix-processmgmt=PATH``).
"""
from __future__ import annotations

import os
from typing import Any

from nixproc_disnix.compiler.eval.native import provide

FRAMEWORK_DIR = os.path.dirname(os.path.abspath(__file__))
"""The folder holding ``nixproc/``: what ``nixproc framework-path`` prints."""

NATIVE_FILE = os.path.join(FRAMEWORK_DIR, "nixproc", "native.nix")


def search_path_entry() -> tuple[str, str]:
    """``nix-processmgmt=<ours>``, appended after the user's entries so theirs win."""
    return ("nix-processmgmt", FRAMEWORK_DIR)


def framework_file(path: str) -> str | None:
    """Ours for ``<nix-processmgmt>`` or ``<nix-processmgmt/...>`` when no search path entry names one."""
    if path != "nix-processmgmt" and not path.startswith("nix-processmgmt/"):
        return None
    candidate = FRAMEWORK_DIR + path[len("nix-processmgmt"):]
    return candidate if os.path.exists(candidate) else None


def install(ev: Any) -> None:
    """Give this evaluation session the framework's Python side.

    The search path is fixed when an evaluator is made, so callers put
    :func:`search_path_entry` last in it themselves.
    """
    from nixproc_disnix.framework.bridge import native_module

    provide(ev, NATIVE_FILE, native_module())
