"""Our command-line tools as packages, for images that redeploy their processes while they run.

Upstream's mutable image holds ``nixproc-<pm>-switch`` and friends (shell
scripts over Nix). Ours are this Python installation's console scripts, so
the image gets what runs them: ``nixproc-python-env``, links to the Python
packages of this installation (ours and everything it requires, with their
metadata), and ``nixproc-tools``, one ``bin/`` wrapper per console script
that runs the interpreter running us with that environment first on its
path. Both are host packages like the resolver's: the image builder follows
the links to the host's files and the wrappers' ``#!`` to the interpreter
and its standard library.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import sys
from collections.abc import Iterator

from nixproc_disnix.backends.common.backend import Generated
from nixproc_disnix.backends.common.output import GeneratedFile, Symlink

DISTRIBUTION = "nixproc-disnix"
SITE_PACKAGES = "lib/nixproc/site-packages"
WAIT_READY_IN_TOOLS = "bin/nixproc-wait-ready"
"""Where ``nixproc-wait-ready`` is in ``nixproc-tools`` (``nixproc/wait-ready.nix`` names it too)."""
_REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r"\bextra\s*==")
_METADATA_DIR = re.compile(r".*\.(dist-info|egg-info)\Z")


def _distributions(root: str) -> Iterator[importlib.metadata.Distribution]:
    """``root`` and, transitively, the installed distributions it requires (extras left out)."""
    seen: set[str] = set()
    pending = [root]
    while pending:
        name = pending.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        distribution = _installed(name)
        if distribution is None:
            continue
        yield distribution
        for requirement in distribution.requires or []:
            match = _REQUIREMENT_NAME.match(requirement)
            if match and not _EXTRA.search(requirement):
                pending.append(match.group(1))


def _installed(name: str) -> importlib.metadata.Distribution | None:
    """The installed distribution ``name``: its ``.dist-info``, as pip installs it, before an ``.egg-info`` a
    source checkout holds. Otherwise the environment (and with it every readiness check's path) would depend on
    whether the working directory, first on ``sys.path``, is such a checkout."""
    found = list(importlib.metadata.distributions(name=name))
    installed = [distribution for distribution in found
                 if str(getattr(distribution, "_path", "")).endswith(".dist-info")]
    return (installed or found or [None])[0]


def _locations(distribution: importlib.metadata.Distribution) -> list[str]:
    """Where the distribution's top-level modules and its metadata are, as absolute paths.

    The modules are those ``top_level.txt`` names, else the first parts of
    the installed files (``RECORD``) that are packages or modules.
    """
    top_level = distribution.read_text("top_level.txt")
    modules = set(top_level.split()) if top_level else {
        path.parts[0].removesuffix(".py") for path in distribution.files or []
        if path.parts and path.parts[0] not in ("..", "__pycache__") and not _METADATA_DIR.match(path.parts[0])
        and (len(path.parts) > 1 or path.parts[0].endswith(".py"))
    }
    locations = []
    for module in sorted(modules):
        spec = importlib.util.find_spec(module) if module.isidentifier() else None
        location = spec and (next(iter(spec.submodule_search_locations or ()), None) or spec.origin)
        if location and os.path.isabs(location):
            locations.append(location)
    metadata = str(getattr(distribution, "_path", ""))
    return locations + ([metadata] if os.path.isabs(metadata) else [])


def python_environment() -> Generated:
    """``nixproc-python-env``: links to this installation's packages in :data:`SITE_PACKAGES`."""
    files: dict[str, GeneratedFile | Symlink] = {}
    for distribution in _distributions(DISTRIBUTION):
        for location in _locations(distribution):
            files[f"{SITE_PACKAGES}/{os.path.basename(location)}"] = Symlink(location)
    return Generated(name="nixproc-python-env", files=files)


def tools(environment: str) -> Generated:
    """``nixproc-tools``: ``bin/<command>`` for each console script, run with ``environment``'s packages."""
    python = os.path.realpath(sys.executable)
    site = json.dumps(f"{environment}/{SITE_PACKAGES}")
    files: dict[str, GeneratedFile | Symlink] = {}
    for entry_point in importlib.metadata.distribution(DISTRIBUTION).entry_points:
        if entry_point.group != "console_scripts":
            continue
        module, _, attribute = entry_point.value.partition(":")
        files[f"bin/{entry_point.name}"] = GeneratedFile(
            f"#!{python} -I\n"
            "import sys\n"
            f"sys.path.insert(0, {site})\n"
            f"from {module} import {attribute.split('.')[0]}\n"
            f"sys.exit({attribute}())\n",
            executable=True,
        )
    return Generated(name="nixproc-tools", files=files)
