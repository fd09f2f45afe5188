"""Deploy a manifest to this machine with our Dysnomia modules, Disnix-style (SPEC §7.4), and keep its generations.

What ``disnix-deploy`` does on a network, done here for the targets that
are this machine or simulated on it (:mod:`.simulation`): take the
machine's deployment lock, ``lock`` every deployed service, deactivate the
obsolete mappings and activate the new ones in the planned order
(independent ones at the same time), ``unlock``, and record the manifest
as a new generation of the coordinator profile.
If any activity fails, everything done is undone in reverse and the
previous deployment runs again (the switch executor's rollback). A module
is run as Dysnomia would: the container's properties in its environment,
looked up first in the container provider's ``libexec/dysnomia``, then in
``DYSNOMIA_MODULES_PATH``, then among ours.

The coordinator profile is ``<dir>/<profile>`` (``--profile``, default
``default``), ``<dir>`` being ``--coordinator-profile-path`` or our
store's ``profiles/per-user/<user>/disnix-coordinator``. Its generations
point at manifests in the store, which reference every deployed package.
"""
from __future__ import annotations

import fcntl
import os
import pwd
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from nixproc_disnix.backends.common.switcher import ProcessStatus, Report
from nixproc_disnix.deploy.plan import SwitchPlan
from nixproc_disnix.deploy.switch import execute
from nixproc_disnix.disnix.manifest import foreign_targets, this_machine
from nixproc_disnix.disnix.simulation import simulated_targets
from nixproc_disnix.disnix.transition import deployed_profile, plan_transition
from nixproc_disnix.dysnomia.installed import MODULES_DIR
from nixproc_disnix.dysnomia.invoke import Invocation, invoke, module_environment
from nixproc_disnix.dysnomia.module import default_state_dir
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile
from nixproc_disnix.model.disnix import Manifest, ServiceMapping
from nixproc_disnix.model.profile import Generation
from nixproc_disnix.progress import Progress
from nixproc_disnix.store import profiles
from nixproc_disnix.store.roots import add_indirect_root
from nixproc_disnix.store.store import Store

DEFAULT_PROFILE = "default"


def coordinator_profile(store: Store, name: str = DEFAULT_PROFILE, directory: str | None = None) -> str:
    """The coordinator profile link for ``--profile NAME`` and ``--coordinator-profile-path DIR``."""
    user = pwd.getpwuid(os.getuid()).pw_name
    base = directory or os.path.join(store.root, "profiles", "per-user", user, "disnix-coordinator")
    return os.path.abspath(os.path.join(base, name))


@dataclass(frozen=True)
class Coordinator:
    """How deployments run: the profile, what to skip (``--no-*``), concurrency, and the modules' environment.

    ``environment`` is what every module starts from (the caller's, plus
    our store); ``modules_path`` is ``DYSNOMIA_MODULES_PATH``; ``progress``
    hears of each service deactivated (a ``stop`` step) and activated (``start``).
    """

    profile: str
    environment: Mapping[str, str]
    modules_path: Sequence[str] = ()
    lock: bool = True
    upgrade: bool = True
    record: bool = True
    max_concurrent: int = field(default_factory=lambda: os.cpu_count() or 1)
    progress: Progress | None = None


def read_manifest(path: str) -> Manifest:
    try:
        with open(path, encoding="utf-8") as handle:
            return Manifest.parse(handle.read(), path)
    except OSError as error:
        raise DeployError(f"cannot read manifest '{path}': {error.strerror}") from None


def deployed_manifest(profile: str) -> tuple[Manifest, str | None]:
    """What the coordinator profile says is deployed, and where that manifest is (nothing: empty, None)."""
    if not os.path.exists(profile):
        return Manifest(), None
    path = os.path.realpath(profile)
    return read_manifest(path), path


def store_manifest(store: Store, manifest: Manifest) -> str:
    """Put ``manifest`` in the store, referring to the packages it deploys (so they stay while it does)."""
    packages = {service.pkg for service in manifest.services.values() if store.is_valid(service.pkg)}
    return store.add_text("manifest.json", manifest.render(), packages)


@contextmanager
def machine_lock(environment: Mapping[str, str]) -> Iterator[None]:
    """The machine's deployment lock (``$DYSNOMIA_STATEDIR/disnix.lock``): one deployment at a time."""
    directory = default_state_dir(environment)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "disnix.lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DeployError(f"another deployment to this machine is in progress ({lock.name})") from None
        yield


def run_activity(manifest: Manifest, mapping: ServiceMapping, activity: str, coordinator: Coordinator,
                 report: Report) -> None:
    """Carry out ``activity`` on one mapping of ``manifest`` with its container's module and properties.

    On a simulated target the module runs in the target's network namespace,
    with a Dysnomia state directory of the target's own.
    """
    service = manifest.services[mapping.service]
    container = manifest.container_of(mapping)
    modules_path = list(coordinator.modules_path)
    if container.provider is not None:
        modules_path.insert(0, os.path.join(manifest.services[container.provider].pkg, MODULES_DIR))
    environment = module_environment(container.properties, coordinator.environment, keep_caller=True)
    namespace = simulated_targets(coordinator.environment).get(manifest.targets[mapping.target].address)
    if namespace is not None:
        environment["DYSNOMIA_STATEDIR"] = os.path.join(default_state_dir(coordinator.environment), namespace)
    if activity in ("activate", "deactivate"):
        report(f"[target: {mapping.target}]: {activity} {mapping.service} ({service.type} in {mapping.container})")
    invoke(
        Invocation(module=service.type, activity=activity, component=service.pkg, container=mapping.container,
                   environment=environment),
        modules_path,
        report,
        wrapper=() if namespace is None else ("ip", "netns", "exec", namespace),
    )


class DysnomiaSwitcher:
    """The switch executor's :class:`~nixproc_disnix.backends.common.switcher.Switcher` for two manifests:
    starting a mapping activates it, stopping deactivates it."""

    def __init__(self, old: Manifest, new: Manifest, coordinator: Coordinator, report: Report) -> None:
        self._coordinator = coordinator
        self._report = report
        self._mappings = {
            (mapping.key, manifest.services[mapping.service].pkg): (manifest, mapping)
            for manifest in (old, new)
            for mapping in manifest.mappings
        }

    def _run(self, process: DeployedProcess, activity: str) -> None:
        manifest, mapping = self._mappings[(process.name, process.out_path)]
        run_activity(manifest, mapping, activity, self._coordinator, self._report)

    def stop(self, process: DeployedProcess) -> None:
        self._run(process, "deactivate")

    def start(self, process: DeployedProcess) -> None:
        self._run(process, "activate")

    def activate(self, profile: DeployedProfile, previous: DeployedProfile) -> None:
        """Nothing to install besides the services: each module installs its own."""

    def status(self, process: DeployedProcess) -> ProcessStatus:
        return ProcessStatus.UNKNOWN


def lock(manifest: Manifest, coordinator: Coordinator, report: Report) -> None:
    """``lock`` every mapping (a service may refuse, e.g. while it is busy); a refusal releases those taken and fails."""
    for index, mapping in enumerate(manifest.mappings):
        try:
            run_activity(manifest, mapping, "lock", coordinator, report)
        except DeployError:
            unlock(manifest.model_copy(update={"mappings": manifest.mappings[:index]}), coordinator, report)
            raise


def unlock(manifest: Manifest, coordinator: Coordinator, report: Report) -> None:
    """``unlock`` every mapping; a failure is only reported, the deployment being done by then."""
    for mapping in manifest.mappings:
        try:
            run_activity(manifest, mapping, "unlock", coordinator, report)
        except DeployError as error:
            report(f"warning: {error.message}")


def transition(
    old: Manifest, old_path: str | None, new: Manifest, new_path: str | None, coordinator: Coordinator,
    record: Callable[[], object], report: Report, dry_run: bool = False,
) -> SwitchPlan:
    """Go from the deployed ``old`` to ``new``; ``record`` runs once everything is activated."""
    reachable = this_machine() | frozenset(simulated_targets(coordinator.environment))
    foreign = foreign_targets(new, reachable) + foreign_targets(old, reachable)
    if foreign:
        raise DeployError(
            f"target {', '.join(sorted(set(foreign)))} is not this machine; without Disnix, nixproc-disnix-env "
            "deploys only to this machine and to simulated targets (install Disnix to deploy to others)"
        )
    current = old if coordinator.upgrade else Manifest()
    plan = plan_transition(current, new, new_path, old_path)
    if dry_run:
        return plan
    with machine_lock(coordinator.environment) if coordinator.lock else _nothing():
        if coordinator.lock:
            lock(current, coordinator, report)
        switcher = DysnomiaSwitcher(current, new, coordinator, report)
        try:
            execute(plan, deployed_profile(current, old_path), deployed_profile(new, new_path), switcher, record,
                    report, coordinator.max_concurrent, progress=coordinator.progress)
        except BaseException:
            if coordinator.lock:
                unlock(current, coordinator, report)
            raise
        if coordinator.lock:
            unlock(new, coordinator, report)
    return plan


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def deploy(store: Store, coordinator: Coordinator, manifest: Manifest, report: Report, dry_run: bool = False) -> SwitchPlan:
    """Deploy ``manifest`` and record it as a new generation (the empty manifest undeploys everything)."""
    old, old_path = deployed_manifest(coordinator.profile)
    new_path = store_manifest(store, manifest)
    return transition(old, old_path, manifest, new_path, coordinator,
                      partial(_record, store, coordinator, partial(profiles.create_generation, coordinator.profile, new_path)),
                      report, dry_run)


def switch_generation(store: Store, coordinator: Coordinator, number: int, report: Report,
                      dry_run: bool = False) -> SwitchPlan:
    """``--switch-to-generation N``: deploy generation N's manifest and make it the current generation."""
    generation = _generation(coordinator.profile, number)
    old, old_path = deployed_manifest(coordinator.profile)
    new_path = os.path.realpath(generation.link)
    return transition(old, old_path, read_manifest(new_path), new_path, coordinator,
                      partial(_record, store, coordinator, partial(profiles.switch_generation, coordinator.profile, number)),
                      report, dry_run)


def rollback(store: Store, coordinator: Coordinator, report: Report, dry_run: bool = False) -> SwitchPlan:
    """``--rollback``: back to the generation before the current one."""
    current = profiles.current_generation(coordinator.profile)
    older = [generation for generation in profiles.list_generations(coordinator.profile)
             if current is not None and generation.number < current]
    if not older:
        raise DeployError("Cannot roll back: there is no generation of the coordinator profile before the current one")
    return switch_generation(store, coordinator, older[-1].number, report, dry_run)


def _generation(profile: str, number: int) -> Generation:
    for generation in profiles.list_generations(profile):
        if generation.number == number:
            return generation
    raise DeployError(f"generation {number} of the coordinator profile '{profile}' does not exist")


def _record(store: Store, coordinator: Coordinator, step: Callable[[], object]) -> None:
    if coordinator.record:
        add_indirect_root(store, os.path.dirname(coordinator.profile))
        step()
