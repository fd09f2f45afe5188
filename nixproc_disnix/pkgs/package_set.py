"""What every ``pkgs`` resolver shares: the Nix-side resolver value, nested package sets, derivation-like values.

A resolver turns nixpkgs attribute paths (``nginx``, ``python3Packages.supervisor``)
into package values. ``default.nix`` gets it as ``import ./resolver.nix``
(provided by Python, see ``native.provide``): an attribute set
``{ kind; packages; explainMissing; }`` where ``packages`` is the nested set
of packages, each computed only when used, and ``explainMissing`` makes the
final ``pkgs`` set name a missing package the resolver's way.
"""
from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from nixproc_disnix.compiler.eval.native import explain_missing, native_functions
from nixproc_disnix.compiler.eval.values import Attrs, Lazy
from nixproc_disnix.errors import EvalError
from nixproc_disnix.model.host_packages import HostPackage, HostPackageTable, read_host_packages

if TYPE_CHECKING:
    from nixproc_disnix.compiler.eval.evaluator import Evaluator

ROOT = "pkgs"
"""How messages name the top of the package set."""
TABLE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "host-packages.json")
OVERRIDE_ENV = "NIXPROC_HOST_PACKAGES"


class Resolver(ABC):
    """One way of providing packages (``--pkgs host|nix|stub``) to one evaluation session."""

    kind: str

    def __init__(self, ev: Evaluator) -> None:
        self.ev = ev

    @abstractmethod
    def packages(self) -> Any:
        """The nested set of packages (possibly a lazy value); selecting one may fail, building the set may not."""

    @abstractmethod
    def not_found(self, attr_path: str) -> str:
        """The error for selecting ``attr_path`` (``pkgs.foo``), a package this resolver does not have."""

    def value(self) -> Attrs:
        """What ``import ./resolver.nix`` yields in ``default.nix``."""
        functions = native_functions(f"nixproc.pkgs.{self.kind}", {
            "explainMissing": (1, lambda ev, pos, pkgs: self.explain(ev.force_attrs(pkgs, pos), ROOT)),
        })
        return Attrs({"kind": self.kind, "packages": self.packages(), **functions})

    def explain(self, attrs: Attrs, prefix: str) -> Attrs:
        """``attrs`` (the set at ``prefix``), failing on a missing package with ``not_found``."""
        return explain_missing(self.ev, attrs, lambda name: self.not_found(f"{prefix}.{name}"))

    def nest(self, leaves: Mapping[str, Any], prefix: str = ROOT) -> Attrs:
        """Values by dotted attribute path as nested sets; inner sets explain their missing packages too."""
        top = Attrs()
        inner: dict[str, dict[str, Any]] = {}
        for path, value in leaves.items():
            head, dot, rest = path.partition(".")
            if dot:
                inner.setdefault(head, {})[rest] = value
            else:
                top[head] = value
        for head, sub in inner.items():
            top[head] = self.explain(self.nest(sub, f"{prefix}.{head}"), f"{prefix}.{head}")
        return top


class TableResolver(Resolver):
    """A resolver whose packages are the host package table's (``host``, ``stub``)."""

    def __init__(self, ev: Evaluator) -> None:
        super().__init__(ev)
        self.table = load_table()

    @abstractmethod
    def resolve(self, attr_path: str, package: HostPackage) -> Any:
        """The value of the package at ``attr_path``, computed when it is first used."""

    def packages(self) -> Attrs:
        targets = {name: name for name in self.table.packages} | dict(self.table.aliases)
        return self.nest(lazy_leaves(targets, lambda path: self.resolve(path, self.table.packages[path])))

    def not_found(self, attr_path: str) -> str:
        return f"{attr_path} is not in the host package table (add it with {OVERRIDE_ENV})"


def load_table(override_file: str | None = None) -> HostPackageTable:
    """The shipped table, with ``override_file`` (default: ``$NIXPROC_HOST_PACKAGES``) merged over it."""
    table = _shipped_table()
    override_file = override_file if override_file is not None else os.environ.get(OVERRIDE_ENV)
    if not override_file:
        return table
    table = table.merged(read_host_packages(override_file))
    problems = table.problems()
    if problems:
        raise EvalError(f"invalid host package table '{override_file}' over the shipped one: {'; '.join(problems)}")
    return table


@cache
def _shipped_table() -> HostPackageTable:
    return read_host_packages(TABLE_FILE)


def derivation_like(name: str, system: str, drv_path: str, outputs: Mapping[str, str]) -> Attrs:
    """A value Nix code treats as a derivation built elsewhere: ``type``, ``outPath``, one view per output.

    Paths carry no string context: they are not in our store, so a
    derivation using them refers to them by name only.
    """
    views = {output: Attrs() for output in outputs}
    for output, view in views.items():
        view.update(views)
        view.update({
            "type": "derivation", "name": name, "system": system, "drvPath": drv_path,
            "outPath": outputs[output], "outputName": output, "outputs": list(outputs),
            "all": list(views.values()),
        })
    return views[next(iter(outputs))]


def lazy_leaves(paths: Mapping[str, str], resolve: Callable[[str], Any]) -> dict[str, Any]:
    """``name -> Lazy(resolve(target))``; names sharing a target (aliases) share one value."""
    shared: dict[str, Lazy] = {}
    for target in paths.values():
        if target not in shared:
            shared[target] = Lazy(lambda target=target: resolve(target))
    return {name: shared[target] for name, target in paths.items()}
