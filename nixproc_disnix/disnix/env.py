"""``nixproc-disnix-env``: a processes model (or Disnix models) deployed with the real ``disnix-env`` or on this machine.

A processes model is first compiled (:mod:`nixproc_disnix.compiler.services`)
into the three files ``disnix-env`` takes: ``services.nix``, and an
``infrastructure.nix`` and ``distribution.nix`` placing every service on
the given targets (default: localhost). Agnostic models
(``processManager = null``, the default) become ``managed-process``
services; their targets get a ``managed-process`` container whose
``processManager`` (``--target-process-manager``, default sysvinit) and
state directories say how the target runs them.

With Disnix installed, ``disnix-env`` runs on those files with the
pass-through options. Without it (or with ``--local``), the models are
evaluated and built here and deployed by :mod:`nixproc_disnix.disnix.deploy`,
after the model's state directories are made (as the deploy tools'
``nixproc-init-state`` does).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field

from nixproc_disnix.backends.common.switcher import Report
from nixproc_disnix.compiler.services import (
    DEFAULT_TARGET_PROCESS_MANAGER,
    LOCALHOST,
    compile_services,
    distribution_source,
    infrastructure_source,
    services_source,
    with_managed_process_container,
)
from nixproc_disnix.deploy.build import BuildRequest
from nixproc_disnix.deploy.state import init_state
from nixproc_disnix.disnix import deploy
from nixproc_disnix.disnix.architecture import DisnixModels, build_packages, evaluate_architecture
from nixproc_disnix.disnix.manifest import manifest_of
from nixproc_disnix.disnix.transition import render_transition
from nixproc_disnix.dysnomia.invoke import search_path
from nixproc_disnix.errors import DeployError
from nixproc_disnix.idassign.output import write_atomically
from nixproc_disnix.model.disnix import Manifest
from nixproc_disnix.model.dysnomia import read_properties
from nixproc_disnix.model.profile import render_generations
from nixproc_disnix.model.services import Target
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.pkgs import DEFAULT_RESOLVER
from nixproc_disnix.progress import Progress
from nixproc_disnix.store import profiles
from nixproc_disnix.store.store import STORE_DIR_ENV, Store

@dataclass(frozen=True)
class ProcessesModel:
    """A processes model to compile into Disnix models, and how."""

    path: str
    process_manager: str | None = None
    targets: tuple[Target, ...] = ()
    target_process_manager: str = DEFAULT_TARGET_PROCESS_MANAGER
    state_dirs: StateDirs = field(default_factory=StateDirs)
    extra_params: str | None = None
    pkgs: str = DEFAULT_RESOLVER
    include: tuple[str, ...] = ()


def compile_models(store: Store, model: ProcessesModel, output_dir: str) -> DisnixModels:
    """Write ``services.nix``, ``infrastructure.nix`` and ``distribution.nix`` for ``model`` into ``output_dir``."""
    request = BuildRequest(model.process_manager, model.path, model.state_dirs, model.extra_params, model.pkgs,
                           model.include)
    services = compile_services(store, request)
    targets = list(model.targets) or [LOCALHOST]
    if model.process_manager is None:
        targets = with_managed_process_container(targets, model.target_process_manager, model.state_dirs)
    os.makedirs(output_dir, exist_ok=True)
    files = {
        "services.nix": services_source(services, request, output_dir),
        "infrastructure.nix": infrastructure_source(targets),
        "distribution.nix": distribution_source(services, targets),
    }
    for name, content in files.items():
        write_atomically(os.path.join(output_dir, name), content)
    return DisnixModels(
        services=os.path.join(output_dir, "services.nix"),
        infrastructure=os.path.join(output_dir, "infrastructure.nix"),
        distribution=os.path.join(output_dir, "distribution.nix"),
        extra_params=model.extra_params, pkgs=model.pkgs, include=model.include,
    )


def container_file(pkg: str, container: str) -> dict[str, str]:
    """The properties a package declares for a container it provides (``etc/dysnomia/containers/<container>``)."""
    path = os.path.join(pkg, "etc", "dysnomia", "containers", container)
    return read_properties(path) if os.path.isfile(path) else {}


def build_manifest(store: Store, models: DisnixModels, target_property: str | None) -> Manifest:
    """Evaluate the models, build their packages, and make the manifest deploying them."""
    architecture = evaluate_architecture(store, models)
    build_packages(store, architecture)
    return manifest_of(architecture, target_property, container_file)


def disnix_env_program() -> str | None:
    """The real ``disnix-env``, when Disnix is installed."""
    return shutil.which("disnix-env")


OPERATIONS = ("undeploy", "rollback", "switch_to_generation", "list_generations", "delete_generations",
              "delete_all_generations")
"""What ``disnix-env`` does instead of deploying models (``--undeploy``, ``--rollback``, …)."""


@dataclass(frozen=True)
class DisnixEnvRequest:
    """One ``nixproc-disnix-env`` run: what to deploy (a processes model or Disnix models) or which operation.

    ``operation`` is one of :data:`OPERATIONS` with its ``argument``
    (``--switch-to-generation``'s number, ``--delete-generations``' spec).
    ``disnix_options`` are ``disnix-env``'s own options, passed to it as
    given (``--max-concurrent-transfers 3``, ``--no-upgrade``); our
    executor reads ``--no-lock``, ``--no-upgrade`` and ``--no-coordinator-profile``
    as ``lock``, ``upgrade`` and ``record``.
    """

    processes: ProcessesModel | None = None
    models: DisnixModels | None = None
    operation: str | None = None
    argument: str | None = None
    profile: str = deploy.DEFAULT_PROFILE
    coordinator_profile_path: str | None = None
    target_property: str | None = None
    output_dir: str | None = None
    dry_run: bool = False
    lock: bool = True
    upgrade: bool = True
    record: bool = True
    max_concurrent: int | None = None
    disnix_options: tuple[str, ...] = ()


def run_disnix_env(program: str, store: Store, request: DisnixEnvRequest) -> int:
    """Compile a processes model if given, then run the real ``disnix-env`` with every option; its exit status."""
    argv = [program, "-p", request.profile]
    for option, value in (("--coordinator-profile-path", request.coordinator_profile_path),
                          ("--target-property", request.target_property)):
        argv += [option, value] if value is not None else []
    if request.operation is not None:
        argv += [f"--{request.operation.replace('_', '-')}", *([request.argument] if request.argument else [])]
    argv += request.disnix_options
    with tempfile.TemporaryDirectory(prefix="nixproc-disnix-") as temporary:
        models = request.models
        if request.processes is not None:
            models = compile_models(store, request.processes, request.output_dir or temporary)
        if models is not None:
            argv += ["-s", models.services, "-i", models.infrastructure, "-d", models.distribution]
            argv += ["--extra-params", models.extra_params] if models.extra_params is not None else []
        try:
            return subprocess.call(argv)
        except OSError as error:
            raise DeployError(f"cannot run {program}: {error.strerror}") from None


def local_disnix_env(store: Store, request: DisnixEnvRequest, environment: Mapping[str, str], report: Report,
                     progress: Progress | None = None) -> str:
    """Carry out ``request`` on this machine, modules running in ``environment`` (the caller's); what to print
    (the steps of a dry run, the generations listed). ``progress`` hears of each (de)activation."""
    coordinator = deploy.Coordinator(
        profile=deploy.coordinator_profile(store, request.profile, request.coordinator_profile_path),
        environment={**environment, STORE_DIR_ENV: store.store_dir},
        modules_path=search_path(environment.get("DYSNOMIA_MODULES_PATH")),
        lock=request.lock, upgrade=request.upgrade, record=request.record, progress=progress,
        **({"max_concurrent": request.max_concurrent} if request.max_concurrent else {}),
    )
    if request.operation == "list_generations":
        return render_generations(profiles.list_generations(coordinator.profile))
    if request.operation == "delete_generations":
        profiles.delete_generations(coordinator.profile, (request.argument or "").split())
        return ""
    if request.operation == "delete_all_generations":
        profiles.delete_all_generations(coordinator.profile)
        return ""
    if request.operation == "rollback":
        plan = deploy.rollback(store, coordinator, report, request.dry_run)
    elif request.operation == "switch_to_generation":
        plan = deploy.switch_generation(store, coordinator, int(request.argument or 0), report, request.dry_run)
    else:
        manifest = Manifest() if request.operation == "undeploy" else _manifest(store, request)
        if request.processes is not None and not request.dry_run:
            init_state(request.processes.state_dirs)
        plan = deploy.deploy(store, coordinator, manifest, report, request.dry_run)
    return render_transition(plan) if request.dry_run else ""


def _manifest(store: Store, request: DisnixEnvRequest) -> Manifest:
    with tempfile.TemporaryDirectory(prefix="nixproc-disnix-") as temporary:
        models = request.models
        if request.processes is not None:
            models = compile_models(store, request.processes, request.output_dir or temporary)
        if models is None:
            raise DeployError("no processes model and no -s/-i/-d models to deploy")
        return build_manifest(store, models, request.target_property)
