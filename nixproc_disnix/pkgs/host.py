"""``--pkgs host`` (the default): packages are links to what the host has installed.

``pkgs.nginx`` is a derivation (``host-package.nix``) whose output holds
``bin/nginx`` -> the host's ``nginx`` and ``conf`` -> ``/etc/nginx``, as
the host package table says. Our builder makes it with ``/bin/sh`` and the
host's ``mkdir`` and ``ln``; no Nix is needed. The host paths found are
attributes of the derivation, so its output path changes exactly when they
do. What is missing is an error when the package is used, not when ``pkgs``
is built, so a model only needs what it uses.
"""
from __future__ import annotations

import glob
import json
import os
import re
import subprocess
from typing import TYPE_CHECKING, Any

from nixproc_disnix.compiler.eval.values import Attrs
from nixproc_disnix.errors import ThrownError
from nixproc_disnix.pkgs.package_set import OVERRIDE_ENV, ROOT, TableResolver
from nixproc_disnix.model.host_packages import HostPackage

if TYPE_CHECKING:
    from nixproc_disnix.compiler.eval.evaluator import Evaluator

HOST_PACKAGE_NIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "host-package.nix")
STANDARD_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
"""Searched after PATH: daemons live in sbin directories a user's PATH often lacks."""
PYTHON_PROBE_TIMEOUT = 60

# Run by each python3 on the search path: where its import system would find the modules, without importing
# them, and the installed metadata (dist-info, egg-info) of the distributions providing them, which entry-point
# scripts such as supervisord's look up when they start.
_PYTHON_PROBE = """
import importlib.metadata, importlib.util, json, os, sys
def where(name):
    spec = importlib.util.find_spec(name)
    location = spec and (next(iter(spec.submodule_search_locations or ()), None) or spec.origin)
    return location if location and os.path.isabs(location) else None
providers = getattr(importlib.metadata, "packages_distributions", dict)()
metadata = sorted({str(path) for m in sys.argv[1:] for d in providers.get(m, [])
                   for path in [getattr(importlib.metadata.distribution(d), "_path", None)]
                   if path is not None and os.path.isabs(str(path))})
print(json.dumps({"version": "%d.%d" % sys.version_info[:2], "modules": {m: where(m) for m in sys.argv[1:]},
                  "metadata": metadata}))
"""


def search_dirs(path: str) -> list[str]:
    """PATH's absolute directories, then the standard ones it lacks."""
    dirs: list[str] = []
    for directory in [*path.split(os.pathsep), *STANDARD_DIRS]:
        if os.path.isabs(directory) and directory not in dirs:
            dirs.append(directory)
    return dirs


def find_executable(names: list[str], dirs: list[str]) -> str | None:
    """The first of ``names`` (in order of preference) executable in one of ``dirs``."""
    for name in names:
        for directory in dirs:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None


def expand_dirs(patterns: list[str]) -> list[str]:
    """Directories matching glob ``patterns``, each pattern's matches highest version first."""
    dirs: list[str] = []
    for pattern in patterns:
        dirs.extend(sorted((d for d in glob.glob(pattern) if os.path.isdir(d)), key=_version_key, reverse=True))
    return dirs


def _version_key(path: str) -> list[tuple[int, int | str]]:
    """Sorts ``15`` after ``9``: digit runs compare as numbers."""
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", path) if part]


class HostResolver(TableResolver):
    kind = "host"

    def __init__(self, ev: Evaluator, path: str | None = None) -> None:
        super().__init__(ev)
        self.dirs = search_dirs(os.environ.get("PATH", "") if path is None else path)

    def resolve(self, attr_path: str, package: HostPackage) -> Any:
        links = self.links(attr_path, package)
        tools = {tool: find_executable([tool], self.dirs) for tool in ("mkdir", "ln")}
        missing = [tool for tool, found in tools.items() if found is None]
        if missing:
            raise ThrownError(f"{ROOT}.{attr_path}: host packages are made with the host's mkdir and ln, "
                              f"but {' and '.join(missing)} is not in PATH={os.pathsep.join(self.dirs)}")
        make = self.ev.eval_file(HOST_PACKAGE_NIX)
        return self.ev.call(make, Attrs({
            "name": attr_path.rpartition(".")[2],
            "system": self.ev.system,
            "links": "".join(f"{path} {target}\n" for path, target in sorted(links.items())),
            **tools,
        }))

    def links(self, attr_path: str, package: HostPackage) -> dict[str, str]:
        """Output path -> host path for everything ``package`` consists of; all problems in one error."""
        dirs = self.dirs + expand_dirs(package.extra_dirs)
        links: dict[str, str] = {}
        problems: list[str] = []
        missing: list[str] = []
        for name in [*package.bin, *package.optional_bin]:
            names = [name, *package.alternatives.get(name, [])]
            found = find_executable(names, dirs)
            if found is not None:
                links[f"bin/{name}"] = found
            elif name in package.bin:
                missing.append(" or ".join(names))
        if missing:
            problems.append(f"executable {', '.join(missing)} not found in PATH={os.pathsep.join(dirs)}")
        for path, candidates in package.files.items():
            found = next((c for c in candidates if os.path.exists(c)), None)
            if found is None:
                problems.append(f"{path}: none of {', '.join(candidates)} exists")
            else:
                links[path] = found
        if package.python_modules:
            modules, problem = self._python_modules(package.python_modules, dirs)
            links.update(modules)
            problems.extend(problem)
        if problems:
            raise ThrownError(f"{ROOT}.{attr_path} needs what the host does not have: {'; '.join(problems)} "
                              f"(install it, or say where it is with {OVERRIDE_ENV})")
        return links

    def _python_modules(self, modules: list[str], dirs: list[str]) -> tuple[dict[str, str], list[str]]:
        """Links into ``lib/pythonX.Y/site-packages`` from the first python3 on ``dirs`` that finds all ``modules``."""
        tried: list[str] = []
        for directory in dirs:
            python = find_executable(["python3"], [directory])
            if python is None:
                continue
            tried.append(python)
            try:
                result = subprocess.run([python, "-c", _PYTHON_PROBE, *modules], capture_output=True, text=True,
                                        timeout=PYTHON_PROBE_TIMEOUT, stdin=subprocess.DEVNULL)
                found = json.loads(result.stdout) if result.returncode == 0 else None
            except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError):
                found = None
            if found and all(found["modules"].values()):
                site = f"lib/python{found['version']}/site-packages"
                locations = [*found["modules"].values(), *found["metadata"]]
                return {f"{site}/{os.path.basename(location)}": location for location in locations}, []
        return {}, [f"no python3 in PATH={os.pathsep.join(dirs)} finds module {', '.join(modules)} "
                    f"(tried {', '.join(tried) or 'none'})"]

