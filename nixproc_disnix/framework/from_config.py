"""``nixproc-generate-config``: agnostic JSON to a backend's configuration, without evaluating Nix (SPEC §2.7).

A target machine receives agnostic configurations (``<name>.json``, whose
``dependencies`` are the store paths of other agnostic configurations) and
turns them into its process manager's files. Each process goes through
:func:`~nixproc_disnix.model.process.resolve` and the same generator the
Nix framework calls, and becomes the same ``builtin:nixproc-files``
derivation, so the files and store paths are identical to a build of the
model with that process manager.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from nixproc_disnix.backends.common.backend import (
    PROFILE_NAMES,
    Dependency,
    Generated,
    generate,
    generator,
    output_json,
    profile_files,
)
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.compiler.eval.evaluator import default_system
from nixproc_disnix.errors import EvalError
from nixproc_disnix.image.tools import WAIT_READY_IN_TOOLS, python_environment, tools
from nixproc_disnix.model.process import ProcessParams, resolve
from nixproc_disnix.store import profile_env
from nixproc_disnix.store.builder import build
from nixproc_disnix.store.instantiate import DerivationRequest, instantiate_derivation
from nixproc_disnix.store.modulo import DrvHashes
from nixproc_disnix.store.paths import store_name
from nixproc_disnix.store.store import Store

def config_file_of(dependency: str) -> str:
    """Where a dependency's JSON lives: ``D/<name>.json``, ``<name>`` being D's base name without its store hash."""
    return os.path.join(dependency, f"{store_name(dependency)}.json")


def config_files_in(path: str) -> list[str]:
    """The configurations a command-line argument names: the file, or every ``*.json`` in the folder."""
    if not os.path.isdir(path):
        return [path]
    found = sorted(os.path.join(path, entry) for entry in os.listdir(path) if entry.endswith(".json"))
    if not found:
        raise EvalError(f"'{path}' contains no agnostic process configurations (*.json)")
    return found


@dataclass
class ConfigGenerator:
    """Generates processes from their JSON for one manager, each dependency once."""

    process_manager: str
    settings: BackendSettings
    store_dir: str
    system: str = field(default_factory=default_system)
    generated: dict[str, tuple[Generated, DerivationRequest, str]] = field(default_factory=dict)
    _hashes: DrvHashes = field(init=False)
    _in_progress: set[str] = field(default_factory=set)
    _tools: list[DerivationRequest] = field(default_factory=list)
    """Our tools package and its Python environment, once a process's readiness check needs them."""
    _wait_ready_path: str = field(default="", init=False)

    def __post_init__(self) -> None:
        self._hashes = DrvHashes(self.store_dir)

    def process(self, config_file: str) -> tuple[Generated, str]:
        """The generated output of ``config_file`` and its store path (dependencies first)."""
        config_file = os.path.realpath(config_file)
        if config_file not in self.generated:
            if config_file in self._in_progress:
                raise EvalError(f"'{config_file}' depends on itself")
            self._in_progress.add(config_file)
            try:
                self.generated[config_file] = self._generate(config_file)
            finally:
                self._in_progress.discard(config_file)
        generated, _, out_path = self.generated[config_file]
        return generated, out_path

    def out_path(self, request: DerivationRequest) -> str:
        return instantiate_derivation(request, self._hashes).output_paths["out"]

    def _generate(self, config_file: str) -> tuple[Generated, DerivationRequest, str]:
        try:
            with open(config_file, "rb") as handle:
                params = ProcessParams.parse_json(handle.read())
        except OSError as error:
            raise EvalError(f"cannot read agnostic process config '{config_file}': {error.strerror}") from None
        except EvalError as error:
            raise EvalError(f"{config_file}: {error.message}") from None
        dependencies = []
        for dependency in params.dependencies:
            generated, out_path = self.process(config_file_of(dependency))
            dependencies.append(Dependency(generated.name, out_path, dict(generated.passthru)))
        process = resolve(params, self.process_manager).model_copy(update={"dependencies": dependencies})
        settings = self.settings
        if process.readiness is not None:
            settings = settings.model_copy(update={"wait_ready": self._wait_ready()})
        generated = generate(self.process_manager, process, settings)
        request = generated.derivation_request(self.system)
        return generated, request, self.out_path(request)

    def _wait_ready(self) -> str:
        """``nixproc-wait-ready`` of our tools package, the path the framework gives a process with a readiness
        check (``nixproc/wait-ready.nix``)."""
        if not self._tools:
            environment = python_environment().derivation_request(self.system)
            package = tools(self.out_path(environment)).derivation_request(self.system)
            self._tools = [environment, package]
            self._wait_ready_path = f"{self.out_path(package)}/{WAIT_READY_IN_TOOLS}"
        return self._wait_ready_path

    def realise(self, store: Store, config_files: Iterable[str]) -> str:
        """Write and build the outputs of ``config_files``: one file gives its output, several a profile."""
        tops = [self.process(path) for path in config_files]
        for request in [*self._tools, *(request for _, request, _ in self.generated.values())]:
            build(store, store.add_derivation(instantiate_derivation(request, self._hashes)))
        if len(tops) == 1:
            return tops[0][1]
        names = [generated.name for generated, _ in tops]
        profile = profile_env.request(
            PROFILE_NAMES[self.process_manager], self.system, [out for _, out in tops],
            output_json(profile_files(self.process_manager, names)),
        )
        return build(store, store.add_derivation(instantiate_derivation(profile, self._hashes)))["out"]

