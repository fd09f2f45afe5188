"""The host package table (``host-packages.json``): which of the host's files stand in for a nixpkgs package.

Hosts without Nix still have nginx, supervisord or coreutils installed, just
not under ``/nix/store``. The table says, per nixpkgs attribute path
(``nginx``, ``python3Packages.supervisor``), which executables, files and
Python modules make up the package, so the host resolver (``pkgs/host.py``)
can link them into a store path. We ship one; a user's own table in the
same format is merged over it, entry by entry.
"""
from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

from nixproc_disnix.errors import EvalError
from nixproc_disnix.model.validation import validate_as

_ATTR_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*\Z")
_FILE_NAME = re.compile(r"[^/\s]+\Z")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _matching(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"'{value}' is not {what}")
        return value

    return AfterValidator(check)


def _relative_path(value: str) -> str:
    parts = value.split("/")
    if any(not part or part in (".", "..") or not _FILE_NAME.match(part) for part in parts):
        raise ValueError(f"'{value}' is not a relative path without '.', '..' or white space")
    return value


def _absolute_path(value: str) -> str:
    if not value.startswith("/") or "\n" in value:
        raise ValueError(f"'{value}' is not an absolute path on one line")
    return value


AttrPath = Annotated[str, _matching(_ATTR_PATH, "a Nix attribute path like 'python3Packages.supervisor'")]
ExecutableName = Annotated[str, _matching(_FILE_NAME, "a file name")]
RelativePath = Annotated[str, AfterValidator(_relative_path)]
AbsolutePath = Annotated[str, AfterValidator(_absolute_path)]
ModuleName = Annotated[str, _matching(_MODULE, "a top-level Python module name")]


class HostPackage(BaseModel):
    """What of the host makes up one package; everything listed except ``optional_bin`` must exist."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bin: list[ExecutableName] = []
    """Executables linked as ``bin/<name>``."""
    optional_bin: list[ExecutableName] = []
    """Executables linked when the host has them (distributions split packages differently)."""
    alternatives: dict[ExecutableName, list[ExecutableName]] = {}
    """Other names the host may install an executable under (``httpd`` is Debian's ``apache2``)."""
    extra_dirs: list[AbsolutePath] = []
    """Glob patterns of directories searched after PATH (``/usr/lib/postgresql/*/bin``), highest version first."""
    files: dict[RelativePath, list[AbsolutePath]] = {}
    """Output path -> host candidates, the first existing one linked (``conf`` -> ``/etc/nginx``)."""
    python_modules: list[ModuleName] = []
    """Modules some ``python3`` on PATH imports, linked into ``lib/pythonX.Y/site-packages``."""

    @model_validator(mode="after")
    def _alternatives_name_executables(self) -> HostPackage:
        unknown = sorted(set(self.alternatives) - set(self.bin) - set(self.optional_bin))
        if unknown:
            raise ValueError(f"alternatives for executables not in bin or optional_bin: {', '.join(unknown)}")
        return self


class HostPackageTable(BaseModel):
    """``host-packages.json``: packages by attribute path, plus aliases (``utillinux`` -> ``util-linux``).

    A user's table may name the shipped table's packages, so how the names
    fit together is checked once merged (``problems``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    packages: dict[AttrPath, HostPackage] = {}
    aliases: dict[AttrPath, AttrPath] = {}

    def merged(self, override: HostPackageTable) -> HostPackageTable:
        """This table with ``override``'s entries replacing same-named packages or aliases."""
        packages = {n: p for n, p in self.packages.items() if n not in override.aliases}
        aliases = {n: t for n, t in self.aliases.items() if n not in override.packages}
        return HostPackageTable(packages={**packages, **override.packages}, aliases={**aliases, **override.aliases})

    def problems(self) -> list[str]:
        """Why the names do not form a package set: aliases to nothing, a name both a package and a set."""
        found = []
        names = {*self.packages, *self.aliases}
        for alias, target in self.aliases.items():
            if alias in self.packages:
                found.append(f"'{alias}' is both a package and an alias")
            elif target not in self.packages:
                found.append(f"alias '{alias}' names '{target}', which is not a package")
        found.extend(f"'{name}' is a package and also a set of packages"
                     for name in sorted(names) if any(other.startswith(name + ".") for other in names))
        return found


def read_host_packages(path: str) -> HostPackageTable:
    """Parse and validate one table file; the error names the file and the culprit entry."""
    try:
        with open(path, encoding="utf-8") as f:
            data: Any = json.load(f)
    except OSError as error:
        raise EvalError(f"cannot read host package table '{path}': {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise EvalError(f"host package table '{path}' is not JSON: {error}") from None
    return validate_as(HostPackageTable, data, f"host package table '{path}'")
