"""``pkgs`` without nixpkgs: our own ``<nixpkgs>`` with packages from a chosen resolver.

A processes model takes ``pkgs`` and uses ``pkgs.nginx``, ``pkgs.writeTextFile``
or ``pkgs.stdenv``. When the search path has no real nixpkgs, ``<nixpkgs>``
is this directory: ``default.nix`` takes nixpkgs' arguments (``system``,
``config``, ``overlays``) and combines our ``lib``, our build support and
the packages of the resolver attached to the evaluation session
(``--pkgs``/``NIXPROC_PKGS``):

- ``host``: packages link the host's installed programs (``host.py``);
- ``nix``: real Nix builds them from the real nixpkgs on the search path (``nix.py``);
- ``stub``: placeholders with store paths and nothing built (``stub.py``).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from nixproc_disnix.compiler.lib import lib_file
from nixproc_disnix.compiler.parser import canon_path

if TYPE_CHECKING:
    from nixproc_disnix.compiler.eval.evaluator import Evaluator
    from nixproc_disnix.pkgs.package_set import Resolver

PKGS_DIR = os.path.dirname(os.path.abspath(__file__))
RESOLVER_NIX = canon_path(os.path.join(PKGS_DIR, "resolver.nix"))
RESOLVERS = ("host", "nix", "stub")
DEFAULT_RESOLVER = "host"


def attach_pkgs(ev: Evaluator, resolver: str = DEFAULT_RESOLVER) -> None:
    """Give ``ev``'s ``<nixpkgs>`` the packages of ``resolver``; again with the same one is a no-op.

    Raises ``EvalError`` when ``nix`` is chosen without Nix or a nixpkgs, and
    ``ValueError`` when another resolver is already attached (values already
    evaluated would mix two kinds of packages).
    """
    attached = attached_resolver(ev)
    if attached == resolver:
        return
    if attached is not None:
        raise ValueError(f"the '{attached}' pkgs resolver is already attached, cannot attach '{resolver}'")
    from nixproc_disnix.compiler.eval.native import provide

    provide(ev, RESOLVER_NIX, _make_resolver(ev, resolver).value())


def attached_resolver(ev: Evaluator) -> str | None:
    """The kind of resolver attached to ``ev``, if any."""
    value = ev.file_cache.get(RESOLVER_NIX)
    return None if value is None else value["kind"]


def pkgs_value(ev: Evaluator) -> Any:
    """``import <nixpkgs> {}`` with our ``<nixpkgs>``: the ``pkgs`` argument for a processes model.

    Attaches the default resolver unless one is.
    """
    from nixproc_disnix.compiler.eval.values import Attrs

    _attach_default(ev)
    return ev.force(ev.call(ev.eval_file(PKGS_DIR), Attrs()))


def nixpkgs_file(ev: Evaluator, path: str) -> str | None:
    """Our file for ``<nixpkgs>`` (this directory) or ``<nixpkgs/lib...>``, or None for any other path.

    Resolving ``<nixpkgs>`` to ours attaches the default resolver unless one
    is, so ``import <nixpkgs> {}`` works in any session.
    """
    if path != "nixpkgs":
        return lib_file(path)
    _attach_default(ev)
    return PKGS_DIR


def _attach_default(ev: Evaluator) -> None:
    if attached_resolver(ev) is None:
        attach_pkgs(ev)


def _make_resolver(ev: Evaluator, kind: str) -> Resolver:
    if kind == "host":
        from nixproc_disnix.pkgs.host import HostResolver

        return HostResolver(ev)
    if kind == "stub":
        from nixproc_disnix.pkgs.stub import StubResolver

        return StubResolver(ev)
    if kind == "nix":
        from nixproc_disnix.pkgs.nix import NixResolver

        return NixResolver(ev)
    raise ValueError(f"unknown pkgs resolver '{kind}' (expected one of {', '.join(RESOLVERS)})")
