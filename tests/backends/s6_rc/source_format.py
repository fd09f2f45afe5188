"""A checker for s6-rc's source format, standing in for ``s6-rc-compile`` (not packaged by Debian).

Written for the tests from s6-rc-compile's documentation ("Source format"):
every non-dot directory of a source directory is a service definition named
after it; ``type`` holds ``longrun``, ``oneshot`` or ``bundle`` and a newline;
longruns need ``run``, oneshots ``up``, bundles ``contents``/``contents.d``;
the optional files have the documented forms (integers, one name per line,
flag files); every name in ``dependencies``, ``contents``, ``producer-for``
and ``consumer-for`` must be a service of the set; producers and consumers
must declare each other; a pipeline's name must not be a service's;
dependencies and bundles must not form cycles.
Execline scripts (``up``/``down``) are lexed separately by the tests, with the
real ``execlineb``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import networkx

TYPES = ("longrun", "oneshot", "bundle")
INTEGER_FILES = ("notification-fd", "lock-fd", "timeout-kill", "timeout-finish", "max-death-tally", "timeout-up", "timeout-down")
FLAG_FILES = ("flag-essential", "nosetsid")
KNOWN = {
    "longrun": {"type", "run", "finish", "down-signal", "producer-for", "consumer-for", "pipeline-name", "data", "env",
                "dependencies", "dependencies.d", "instance", "instances", *INTEGER_FILES, *FLAG_FILES},
    "oneshot": {"type", "up", "down", "dependencies", "dependencies.d", "timeout-up", "timeout-down", "flag-essential"},
    "bundle": {"type", "contents", "contents.d", "flag-essential"},
}


class SourceFormatError(ValueError):
    """What s6-rc-compile would refuse, naming the service."""


@dataclass
class Definition:
    """One service definition directory, as read."""

    name: str
    type: str
    dependencies: list[str] = field(default_factory=list)
    contents: list[str] = field(default_factory=list)
    producer_for: str | None = None
    consumer_for: list[str] = field(default_factory=list)
    pipeline_name: str | None = None


def _names(path: Path, service: str) -> list[str]:
    """A ``*.d`` directory's entry names, or a file's lines (leading whitespace and ``#`` lines ignored)."""
    if path.is_dir():
        return sorted(entry.name for entry in path.iterdir())
    names = []
    for line in path.read_text().split("\n"):
        line = line.lstrip()
        if line and not line.startswith("#"):
            names.append(line)
    if not path.read_text().endswith("\n") and path.read_text():
        raise SourceFormatError(f"{service}: {path.name} does not end with a newline")
    return names


def _read(directory: Path) -> Definition:
    name = directory.name
    if "\n" in name or name.startswith(("s6rc-", "s6-rc-")):
        raise SourceFormatError(f"{name!r}: not a valid service name")
    type_file = directory / "type"
    if not type_file.is_file() or type_file.read_text() not in (f"{kind}\n" for kind in TYPES):
        raise SourceFormatError(f"{name}: type must hold longrun, oneshot or bundle and a newline")
    kind = type_file.read_text().strip()
    unknown = {entry.name for entry in directory.iterdir()} - KNOWN[kind]
    if unknown:
        raise SourceFormatError(f"{name}: files a {kind} does not have: {sorted(unknown)}")
    for integer in INTEGER_FILES:
        path = directory / integer
        if path.exists() and not path.read_text().strip().isdigit():
            raise SourceFormatError(f"{name}: {integer} must hold an integer")
    if (directory / "max-death-tally").exists() and int((directory / "max-death-tally").read_text()) > 4096:
        raise SourceFormatError(f"{name}: max-death-tally is at most 4096")
    definition = Definition(name, kind)
    dependencies = directory / ("dependencies.d" if (directory / "dependencies.d").exists() else "dependencies")
    if dependencies.exists():
        definition.dependencies = _names(dependencies, name)
    if kind == "longrun":
        run = directory / "run"
        if not run.is_file() or not os.access(run, os.X_OK):
            raise SourceFormatError(f"{name}: a longrun needs an executable run file")
        if (directory / "finish").exists() and not os.access(directory / "finish", os.X_OK):
            raise SourceFormatError(f"{name}: finish must be executable")
        if (directory / "producer-for").exists():
            producer_for = _names(directory / "producer-for", name)
            if len(producer_for) != 1:
                raise SourceFormatError(f"{name}: producer-for names exactly one service")
            definition.producer_for = producer_for[0]
        if (directory / "consumer-for").exists():
            definition.consumer_for = _names(directory / "consumer-for", name)
        if (directory / "pipeline-name").exists():
            definition.pipeline_name = (directory / "pipeline-name").read_text().strip()
        for subdirectory in ("data", "env"):
            if (directory / subdirectory).exists() and not (directory / subdirectory).is_dir():
                raise SourceFormatError(f"{name}: {subdirectory} must be a directory")
    elif kind == "oneshot":
        if not (directory / "up").is_file():
            raise SourceFormatError(f"{name}: a oneshot needs an up file")
    else:
        contents = directory / ("contents.d" if (directory / "contents.d").exists() else "contents")
        if not contents.exists():
            raise SourceFormatError(f"{name}: a bundle needs contents or contents.d")
        definition.contents = _names(contents, name)
    return definition


def check_source_directory(source: Path) -> dict[str, Definition]:
    """Every service definition under ``source`` (following symlinks), checked alone and as a set."""
    definitions = {
        entry.name: _read(entry)
        for entry in sorted(source.iterdir())
        if entry.is_dir() and not entry.name.startswith(".")
    }
    graph = networkx.DiGraph()
    for definition in definitions.values():
        graph.add_node(definition.name)
        for other in (*definition.dependencies, *definition.contents, *definition.consumer_for,
                      *([definition.producer_for] if definition.producer_for else [])):
            if other not in definitions:
                raise SourceFormatError(f"{definition.name}: refers to the unknown service {other!r}")
        for other in (*definition.dependencies, *definition.contents):
            graph.add_edge(definition.name, other)
        if definition.producer_for is not None:
            consumer = definitions[definition.producer_for]
            if consumer.type != "longrun" or definition.name not in consumer.consumer_for:
                raise SourceFormatError(f"{definition.name}: {consumer.name} does not consume for it")
        for producer in definition.consumer_for:
            if definitions[producer].producer_for != definition.name:
                raise SourceFormatError(f"{definition.name}: {producer} does not produce for it")
        if definition.consumer_for and definition.producer_for is None and definition.pipeline_name in definitions:
            raise SourceFormatError(f"{definition.name}: pipeline name {definition.pipeline_name!r} is taken by a service")
    cycles = list(networkx.simple_cycles(graph))
    if cycles:
        raise SourceFormatError(f"dependency or bundle cycle: {cycles[0]}")
    return definitions
