"""The contract every backend generator keeps, and the registry that finds them.

Upstream's generators are Nix functions returning a derivation; dependents
read attributes of that derivation (``dependency.name`` for unit names and
``REQUIRE`` lines, ``dependency.sequence`` for sysvinit's start order,
``dependency.priority`` for supervisord and docker). Here a generator is a
pure Python function returning :class:`Generated`: the output's files, the
name the output goes by, and those attributes. The Nix framework and
``nixproc-generate-config`` both call the same function, so their outputs
are byte-identical.
"""
from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from nixproc_disnix.backends.common.output import GeneratedFile, GeneratedOutput, Symlink
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.errors import ThrownError
from nixproc_disnix.model.process import PROCESS_MANAGERS, ManagedProcess
from nixproc_disnix.model.readiness import Readiness
from nixproc_disnix.store import generated_files
from nixproc_disnix.store.instantiate import DerivationRequest

Passthru = Mapping[str, int | str | list["Dependency"]]
"""Attributes a generated output exposes to the processes that depend on it
(and, for the disnix backend, its own ``dependencies``, which its profile orders activation by)."""


@dataclass(frozen=True)
class Dependency:
    """A process this one depends on, as its generated output presents itself.

    ``name`` is the output's name (upstream's ``dependency.name``),
    ``out_path`` its store path; ``passthru`` holds whatever its backend
    exposes for ordering (``sequence``, ``priority``).
    """

    name: str
    out_path: str = ""
    passthru: Passthru = field(default_factory=dict)

    def ordering(self, attribute: str) -> int:
        """An ordering attribute of the dependency; missing means it was made by another backend."""
        value = self.passthru.get(attribute)
        if not isinstance(value, int):
            raise ThrownError(f"attribute '{attribute}' missing in dependency '{self.name}'")
        return value


@dataclass(frozen=True)
class Generated:
    """One process's output for one backend.

    ``post_install`` is shell run in the output directory after the files
    are written (upstream's ``postInstall``); it is the model author's own
    build-time code and runs with ``$out`` set. ``image``, when not empty,
    describes an image the builder then builds into the output (the docker
    backend's, ``image/process_image.py``).
    """

    name: str
    files: GeneratedOutput
    passthru: Passthru = field(default_factory=dict)
    post_install: str = ""
    image: str = ""

    def files_json(self) -> str:
        """The files as the ``builtin:nixproc-files`` builder's ``files`` attribute."""
        return output_json(self.files)

    def derivation_request(self, system: str) -> DerivationRequest:
        """The derivation that writes these files: the same whether made by Nix code or by Python."""
        return generated_files.request(self.name, system, self.files_json(), self.post_install, self.image)


class Generator(Protocol):
    """A backend's entry points: createManagedProcess's mapping and the native create function."""

    def generate(self, process: ManagedProcess, settings: BackendSettings) -> Generated:
        """``generate<Backend>``: §2 parameters (dependencies as :class:`Dependency`) → output."""

    def create(self, params: Mapping[str, Any], settings: BackendSettings) -> Generated:
        """The native create function (``createSystemVInitScript``, …) on its own parameters."""


def output_json(files: GeneratedOutput) -> str:
    """Generated files as the ``files`` attribute of our builtin builders."""
    return generated_files.files_json({
        path: {"symlink": entry.target} if isinstance(entry, Symlink)
        else {"content": entry.content, "executable": entry.executable}
        for path, entry in files.items()
    })


PROFILE_NAMES = {
    "bsdrc": "rc.d",
    "cygrunsrv": "cygrunsrv-env",
    "disnix": "disnix",
    "docker": "docker",
    "launchd": "launchd",
    "s6-rc": "s6-rc",
    "supervisord": "supervisord.d",
    "systemd": "systemd",
    "sysvinit": "rc.d",
}
"""The name of each manager's deployment profile (upstream's ``buildEnv`` names, SPEC §3.11)."""


def profile_files(process_manager: str, names: list[str]) -> GeneratedOutput:
    """Files a manager's deployment profile has besides its processes' outputs (SPEC §3.11).

    A backend module provides them with an optional ``profile_files(names)``
    (``names``: the processes' output names, in the profile's order).
    """
    extra = getattr(generator(process_manager), "profile_files", None)
    return {} if extra is None else extra(names)


PROCESS_INFO_DIR = "nix-support/nixproc"
"""Every generated output has ``<PROCESS_INFO_DIR>/<name>.json``; a profile merges them into one folder
listing its processes: what a switch needs to order them without knowing the backend."""


class ProcessInfo(BaseModel):
    """``nix-support/nixproc/<name>.json``: the process's name, manager and dependencies' outputs."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    name: str
    process_manager: str
    dependencies: list[str]
    readiness: Readiness | None = None


def generate(process_manager: str, process: ManagedProcess, settings: BackendSettings) -> Generated:
    """The output of ``process`` for ``process_manager``, with its file in :data:`PROCESS_INFO_DIR`.

    Both the Nix framework and ``nixproc-generate-config`` come through here.
    """
    generated = generator(process_manager).generate(process, settings)
    return with_process_info(generated, process_manager, process.dependencies, process.readiness)


def with_process_info(
    generated: Generated, process_manager: str, dependencies: Iterable[Any], readiness: Readiness | None = None
) -> Generated:
    """``generated`` plus its ``nix-support/nixproc/<name>.json``."""
    info = ProcessInfo(
        name=generated.name,
        process_manager=process_manager,
        dependencies=[dependency.out_path for dependency in dependencies if isinstance(dependency, Dependency)],
        readiness=readiness,
    )
    files = {**generated.files, f"{PROCESS_INFO_DIR}/{generated.name}.json": GeneratedFile(
        info.model_dump_json(by_alias=True, exclude_none=True) + "\n"
    )}
    return replace(generated, files=files)


def generator(process_manager: str) -> Generator:
    """The generator module of ``process_manager`` (``backends/<pm>/generate.py``)."""
    if process_manager not in PROCESS_MANAGERS:
        raise ThrownError(f"Unknown process manager: {process_manager}")
    module: ModuleType = importlib.import_module(
        f"nixproc_disnix.backends.{process_manager.replace('-', '_')}.generate"
    )
    return module  # type: ignore[return-value]
