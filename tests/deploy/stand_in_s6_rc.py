"""Stand-ins for ``s6-rc-compile``, ``s6-rc-init``, ``s6-rc-update`` and ``s6-rc`` (not packaged by Debian).

``s6-rc-compile DB SOURCE`` checks SOURCE with the source-format checker of
the s6-rc backend tests (what the real compiler refuses, it refuses) and
writes DB: ``services.json`` (each service's type, dependencies and
contents, pipelines as bundles) and, as a real database has them,
``servicedirs/<longrun>`` copies of the longruns' definitions.
``s6-rc-init -c DB -l LIVE SCAN`` and ``s6-rc-update -l LIVE DB`` make DB
live (``LIVE/compiled``); an update brings down the services DB lacks.
``s6-rc -l LIVE -u|-d change NAMES`` brings services up with their
dependencies or down with their dependents, ``s6-rc -l LIVE -a list`` lists
those up. The state keeps each live directory's up services;
``state["fail_up"]`` lists services whose next start fails (each name is taken off as it
fails).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

SOURCE_FORMAT = Path(__file__).resolve().parents[1] / "backends" / "s6_rc"
"""Where the source-format checker is (imported by the compiler only: it needs networkx, slow to load)."""

Services = dict[str, dict[str, Any]]


def _error(command: str, message: str, code: int = 100) -> int:
    print(f"{command}: fatal: {message}", file=sys.stderr)
    return code


def _compile(database: Path, source: Path) -> int:
    sys.path.insert(0, str(SOURCE_FORMAT))
    from source_format import SourceFormatError, check_source_directory

    if os.path.lexists(database):
        return _error("s6-rc-compile", f"{database} already exists")
    if not source.is_dir():
        return _error("s6-rc-compile", f"{source} is not a directory")
    try:
        definitions = check_source_directory(source)
    except SourceFormatError as error:
        return _error("s6-rc-compile", str(error), 1)
    services: Services = {
        name: {"type": definition.type, "dependencies": definition.dependencies, "contents": definition.contents}
        for name, definition in definitions.items()
    }
    for definition in definitions.values():
        if definition.consumer_for and definition.pipeline_name:
            members = [*definition.consumer_for, definition.name]
            services[definition.pipeline_name] = {"type": "bundle", "dependencies": [], "contents": members}
    database.mkdir(parents=True)
    for name, definition in definitions.items():
        if definition.type == "longrun":
            shutil.copytree(source / name, database / "servicedirs" / name)
    (database / "services.json").write_text(json.dumps(services, indent=1, sort_keys=True))
    return 0


def _services(live: Path) -> Services:
    services: Services = json.loads((live / "compiled" / "services.json").read_text())
    return services


def _atomic(services: Services, names: list[str]) -> list[str]:
    """Bundles replaced by their contents, recursively."""
    atomic: list[str] = []
    for name in names:
        if services[name]["type"] == "bundle":
            atomic += _atomic(services, services[name]["contents"])
        elif name not in atomic:
            atomic.append(name)
    return atomic


def _closure(services: Services, names: list[str], up: bool) -> list[str]:
    """``names`` with their dependencies (``up``) or dependents, in the order s6-rc handles them."""
    def dependencies(name: str) -> list[str]:
        return _atomic(services, services[name]["dependencies"])

    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        related = dependencies(name) if up else [other for other in services
                                                 if services[other]["type"] != "bundle" and name in dependencies(other)]
        for other in related:
            visit(other)
        order.append(name)

    for name in _atomic(services, names):
        visit(name)
    return order


def _change(live: Path, direction: str, names: list[str], state: dict[str, Any]) -> int:
    services = _services(live)
    unknown = [name for name in names if name not in services]
    if unknown:
        return _error("s6-rc", f"unknown service name: {unknown[0]}")
    up: list[str] = state["live"][str(live)]["up"]
    for name in _closure(services, names, direction == "-u"):
        if direction == "-d":
            if name in up:
                up.remove(name)
        elif name not in up:
            if name in state.get("fail_up", []):
                state["fail_up"].remove(name)
                return _error("s6-rc", f"service {name}: unable to start: exited 1", 1)
            up.append(name)
    return 0


def main(command: str, args: list[str], state: dict[str, Any]) -> int:
    lives: dict[str, dict[str, list[str]]] = state.setdefault("live", {})
    match [command, *args]:
        case ["s6-rc-compile", database, source]:
            return _compile(Path(database), Path(source))
        case ["s6-rc-init", "-c", database, "-l", live, scan]:
            if os.path.lexists(live):
                return _error(command, f"{live} already exists")
            if not Path(scan).is_dir():
                return _error(command, f"{scan} is not a scan directory", 111)
            if not (Path(database) / "services.json").is_file():
                return _error(command, f"{database} is not a compiled database", 4)
            Path(live).mkdir(parents=True)
            (Path(live) / "compiled").symlink_to(database)
            lives[live] = {"up": []}
            return 0
        case ["s6-rc-update", "-l", live, database]:
            if live not in lives:
                return _error(command, f"{live} is not a live directory", 111)
            if not (Path(database) / "services.json").is_file():
                return _error(command, f"{database} is not a compiled database", 4)
            kept = json.loads((Path(database) / "services.json").read_text())
            lives[live]["up"] = [name for name in lives[live]["up"] if name in kept]
            (Path(live) / "compiled").unlink()
            (Path(live) / "compiled").symlink_to(database)
            return 0
        case ["s6-rc", "-l", live, "-a", "list"] if live in lives:
            print("".join(f"{name}\n" for name in lives[live]["up"]), end="")
            return 0
        case ["s6-rc", "-l", live, ("-u" | "-d") as direction, "change", *names] if live in lives and names:
            return _change(Path(live), direction, names, state)
    return _error(command, f"stand-in: unsupported or not initialised: {args}")
