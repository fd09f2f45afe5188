"""Our own nixpkgs-compatible ``lib``, written in Nix (see ``default.nix``).

``import <nixpkgs/lib>`` resolves here when no ``nixpkgs`` is on the search
path, so processes models and Disnix models evaluate without a nixpkgs checkout.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..eval.evaluator import Evaluator

LIB_DIR = os.path.dirname(os.path.abspath(__file__))


def lib_file(path: str) -> str | None:
    """Our file for ``<nixpkgs/lib>`` or ``<nixpkgs/lib/...>``, or None for any other path."""
    if path != "nixpkgs/lib" and not path.startswith("nixpkgs/lib/"):
        return None
    candidate = LIB_DIR + path[len("nixpkgs/lib"):]
    return candidate if os.path.exists(candidate) else None


def nixpkgs_lib(ev: Evaluator) -> Any:
    """The evaluated lib attrset, for exposing as ``pkgs.lib``."""
    return ev.eval_file(os.path.join(LIB_DIR, "default.nix"))
