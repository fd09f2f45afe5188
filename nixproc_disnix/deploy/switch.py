"""``nixproc-<pm>-switch`` and ``nixproc-<pm>-deploy``: make a profile the deployed one (SPEC §5.4, §5.5).

Every operation ends in :func:`deploy_path`: read the old profile (``-o``,
else the current generation) and the new one, plan
(:func:`~nixproc_disnix.deploy.plan.plan_switch`), create the state
directories, then :func:`execute` the plan through the process manager's
:class:`~nixproc_disnix.backends.common.switcher.Switcher`. The new
generation is recorded only once everything started; if any step fails,
what was done is undone in reverse (started processes stopped, the old
files activated again, stopped processes started, created accounts
deleted), the profile stays as it was, and one error line says what failed.
A switch holds the profile's switch lock and notes the profile it deploys
in the journal (:mod:`~nixproc_disnix.deploy.journal`) before touching a
process, so after a SIGKILL the next switch stops what the killed one left
and converges, whatever it deploys.

Differences from upstream, on purpose: ``--switch-generation`` works (it
makes that generation current, as ``nix-env --switch-generation``, instead
of adding a copy); ``--force-disable-user-change`` reaches the deployment;
starts are ordered by the dependency graph and independent ones run in
parallel; failing to delete an account that is no longer needed is a
warning, because by then the new deployment runs and undoing it for that
would be worse.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial

from nixproc_disnix.backends.common.switcher import (
    ProcessStatus,
    Report,
    SwitchContext,
    Switcher,
    require_commands,
    switcher,
)
from nixproc_disnix.deep import run_parallel
from nixproc_disnix.deploy import journal
from nixproc_disnix.deploy.build import BuildRequest, build_profile
from nixproc_disnix.deploy.plan import SwitchPlan, plan_switch
from nixproc_disnix.deploy.ports import taken_assigned_ports
from nixproc_disnix.deploy.readiness import LogText, from_now_on, process_output, wait_until_ready
from nixproc_disnix.deploy.state import init_state
from nixproc_disnix.dysnomia.users import add_group, add_user, delete_group, delete_user
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile, read_profile
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.progress import PhaseCounter, Progress
from nixproc_disnix.store import profiles
from nixproc_disnix.store.roots import add_indirect_root
from nixproc_disnix.store.store import Store

DEFAULT_PROFILE = "processes"
SETTLE_TIME = 0.5
"""Seconds after the last start at which every started process must still run."""
START_TIMEOUT = 10.0
"""Seconds a started process may take to show up as running (a daemon writes its PID file after forking)."""


@dataclass(frozen=True)
class SwitchOptions:
    """How to deploy: the manager, the profile link (``<profile dir>/<name>``), directories, extras.

    ``progress`` hears of each derivation built, each process stopped and started.
    """

    process_manager: str
    profile: str
    old_profile: str | None = None
    state_dirs: StateDirs = field(default_factory=StateDirs)
    runlevel: str | None = None
    user: bool = False
    enable_at_boot: bool = False
    max_concurrent: int = field(default_factory=lambda: os.cpu_count() or 1)
    dry_run: bool = False
    start_timeout: float = START_TIMEOUT
    progress: Progress | None = None


def profile_dir(store: Store) -> str:
    """``NIX_USER_PROFILE_DIR``, else ``$NIX_STATE_DIR/profiles``, else the store root's ``profiles``.

    Upstream's last fallback is ``/nix/var/nix/profiles``; our profiles point
    into our own store, so they live beside it (``/nixproc/profiles`` for root).
    """
    if os.environ.get("NIX_USER_PROFILE_DIR"):
        return os.environ["NIX_USER_PROFILE_DIR"]
    state_dir = os.environ.get("NIX_STATE_DIR")
    return os.path.join(state_dir, "profiles") if state_dir else os.path.join(store.root, "profiles")


def profile_link(store: Store, name: str = DEFAULT_PROFILE) -> str:
    """The profile ``-p NAME`` means: NAME in :func:`profile_dir`, or NAME itself when it is a path."""
    return os.path.abspath(name if "/" in name else os.path.join(profile_dir(store), name))


def switch(store: Store, options: SwitchOptions, request: BuildRequest, report: Report) -> SwitchPlan:
    """Build ``request`` (``model`` None: the empty configuration, i.e. undeploy) and deploy the result."""
    switcher_of(options, report)  # an unsupported manager fails before the build
    profile = build_profile(store, request, options.progress)
    if request.model is not None:
        deployed = read_profile(options.old_profile or options.profile).processes
        for warning in taken_assigned_ports(request.model, ours=deployed):
            report(warning)
    return deploy_path(store, options, profile, report)


def deploy_path(store: Store, options: SwitchOptions, path: str, report: Report) -> SwitchPlan:
    """``nixproc-<pm>-deploy PATH``: deploy a built profile and record it as a new generation."""
    return _deploy(store, options, path, partial(profiles.create_generation, options.profile, path), report)


def rollback(store: Store, options: SwitchOptions, report: Report) -> SwitchPlan:
    """``--rollback``: deploy the second-newest generation again, as a new generation (upstream's rule)."""
    previous = profiles.previous_deployment(options.profile)
    return deploy_path(store, options, os.path.realpath(previous.link), report)


def switch_to_generation(store: Store, options: SwitchOptions, number: int, report: Report) -> SwitchPlan:
    """``--switch-generation N``: deploy generation N and make it the current one."""
    link = f"{options.profile}-{number}-link"
    if not os.path.lexists(link):
        raise DeployError(f"Cannot switch profile generations, because the requested profile {link} does not exist!")
    record = partial(profiles.switch_generation, options.profile, number)
    return _deploy(store, options, os.path.realpath(link), record, report)


def switcher_of(options: SwitchOptions, report: Report) -> Switcher:
    """The manager's switcher, told the options it may care about; unless in a dry run, its tools must be installed."""
    context = SwitchContext(
        state_dirs=options.state_dirs, report=report, runlevel=options.runlevel, user=options.user,
        enable_at_boot=options.enable_at_boot,
    )
    backend = switcher(options.process_manager, context)
    if not options.dry_run:
        require_commands(options.process_manager, backend)
    return backend


def _deploy(store: Store, options: SwitchOptions, path: str, record: Callable[[], object], report: Report) -> SwitchPlan:
    """Plan and run the switch to ``path`` holding the profile's switch lock; a dry run only reads, so takes none."""
    with nullcontext() if options.dry_run else journal.locked(options.profile):
        return _deploy_locked(store, options, path, record, report)


def _deploy_locked(store: Store, options: SwitchOptions, path: str, record: Callable[[], object],
                   report: Report) -> SwitchPlan:
    backend = switcher_of(options, report)
    old = read_profile(options.old_profile or options.profile)
    new = read_profile(path)
    if new.path is None:
        raise DeployError(f"profile '{path}' does not exist")
    strangers = sorted(name for name, process in new.processes.items() if process.process_manager != options.process_manager)
    if strangers:
        manager = new.processes[strangers[0]].process_manager
        raise DeployError(f"profile '{path}' was built for {manager} ({', '.join(strangers)}), not {options.process_manager}")
    manage_accounts = os.geteuid() == 0 and not options.state_dirs.force_disable_user_change
    interrupted = [read_profile(pending) for pending in journal.interrupted(options.profile)]
    plan = plan_switch(old, new, manage_accounts, interrupted)
    if options.dry_run:
        return plan

    def output_of(process: DeployedProcess) -> LogText:
        return process_output(process.process_manager, process.name, options.state_dirs, options.user)

    init_state(options.state_dirs)  # first: failing to make the directories changes nothing, so leaves no journal
    add_indirect_root(store, os.path.dirname(options.profile))  # keeps the journal's profiles, then the generations
    journal.begin(options.profile, new.path)
    execute(plan, old, new, backend, record, report, options.max_concurrent, options.start_timeout,
            output_of, options.progress, settle=partial(journal.settle, options.profile))
    return plan


Undo = tuple[str, Callable[[], object]]
"""What an undo step does (for the report) and the step itself."""


def execute(
    plan: SwitchPlan,
    old: DeployedProfile,
    new: DeployedProfile,
    backend: Switcher,
    record: Callable[[], object],
    report: Report,
    max_concurrent: int = 1,
    start_timeout: float = START_TIMEOUT,
    output_of: Callable[[DeployedProcess], LogText] | None = None,
    progress: Progress | None = None,
    settle: Callable[[], object] | None = None,
) -> None:
    """Run ``plan``; ``record`` makes the new generation current once everything started.

    A process with a ``readiness`` check counts as started only once it
    passes (``output_of`` reads its output for log-line checks: what it
    writes from this start on), so its
    dependents start after it is ready, and a timeout rolls back. Every
    completed step pushes its undo; on failure they run in reverse and the
    error says whether the rollback was complete. ``progress`` hears of
    each stop and start (the undo steps are only reported).

    What an interrupted switch left is dealt with first and never undone:
    its leftovers stay stopped, and processes it may have stopped or
    started are started only if they do not run. ``settle`` runs once the
    processes match a generation again: after ``record``, or after a
    rollback that undid everything (see :mod:`~nixproc_disnix.deploy.journal`).
    """
    undo: list[Undo] = []
    recovered = False
    stopping = PhaseCounter(progress, "stop", sum(map(len, plan.recover + plan.stop)))
    starting = PhaseCounter(progress, "start", sum(map(len, plan.revive + plan.start)))
    unless_running = {*plan.resume, *(process.name for level in plan.revive for process in level)}

    def stop(process: DeployedProcess) -> None:
        with stopping.step(process.name):
            backend.stop(process)

    def start(process: DeployedProcess) -> None:
        with starting.step(process.name):
            readiness = process.readiness
            output = None
            if readiness is not None and output_of is not None:
                output = from_now_on(output_of(process)) if readiness.log_line is not None else output_of(process)
            if process.name not in unless_running or backend.status(process) is not ProcessStatus.RUNNING:
                backend.start(process)
            _wait_running(backend, process, start_timeout)
            if readiness is not None:
                wait_until_ready(process.name, readiness, output)

    try:
        for group in plan.add_groups:
            if add_group(group, report):
                undo.append((f"delete group {group.name}", partial(delete_group, group)))
        for user in plan.add_users:
            if add_user(user, report):
                undo.append((f"delete user {user.name}", partial(delete_user, user)))
        for level in plan.recover:
            _run_level(level, stop, None, undo, max_concurrent, undo_failed=False)
        recovered = True
        for level in plan.stop:
            _run_level(level, stop, lambda process: (f"start {process.name}", partial(backend.start, process)),
                       undo, max_concurrent, undo_failed=False)
        if not (plan.is_empty and new.path == old.path):  # a no-op switch leaves the manager alone
            backend.activate(new, old)
            undo.append(("activate the previous profile", partial(backend.activate, old, new)))
        for level in plan.revive:
            _run_level(level, start, None, undo, max_concurrent, undo_failed=False)
        for level in plan.start:
            # A failed start may have left something behind: stopping it is part of the undo.
            _run_level(level, start, lambda process: (f"stop {process.name}", partial(backend.stop, process)),
                       undo, max_concurrent, undo_failed=True)
        _confirm_running([process for level in plan.revive + plan.start for process in level], backend, max_concurrent)
        record()
        if settle is not None:
            settle()
    except BaseException as error:  # Ctrl-C too: what this switch started is undone all the same
        failures = _undo(undo, report)
        if settle is not None and recovered and not failures:
            settle()
        if isinstance(error, KeyboardInterrupt):
            error = DeployError("interrupted by the user")
        elif not isinstance(error, DeployError):
            raise
        outcome = "rolled back to the previous deployment" if not failures else (
            f"rollback incomplete: {failures} step(s) failed, see above"
        )
        raise DeployError(f"{error.message}; {outcome}") from None
    for user in plan.delete_users:
        _warn_on_failure(partial(delete_user, user), report)
    for group in plan.delete_groups:
        _warn_on_failure(partial(delete_group, group), report)


def _run_level(
    level: tuple[DeployedProcess, ...],
    action: Callable[[DeployedProcess], None],
    undo_of: Callable[[DeployedProcess], Undo] | None,
    undo: list[Undo],
    max_concurrent: int,
    undo_failed: bool,
) -> None:
    """Run ``action`` on a level's processes, at most ``max_concurrent`` at once; all finish before a failure is raised.

    ``undo_of`` (None: nothing to undo) gives the undo of each completed action, and of failed ones with
    ``undo_failed``.
    """
    futures, interrupted = run_parallel(action, level, min(max_concurrent, len(level)))
    errors: list[BaseException] = [KeyboardInterrupt()] if interrupted else []
    for process, future in zip(level, futures):
        if future.cancelled():
            continue
        error = future.exception()
        if undo_of is not None and (error is None or undo_failed):
            undo.append(undo_of(process))
        if error is not None:
            errors.append(error)
    if errors:
        raise errors[0]


def _wait_running(backend: Switcher, process: DeployedProcess, timeout: float) -> None:
    """Poll ``status`` until the process shows up; it may not stay STOPPED past ``timeout``.

    Most processes show up within milliseconds and their dependents wait for
    them, so the polls start 10 ms apart and back off to 100 ms.
    """
    deadline = time.monotonic() + timeout
    interval = 0.01
    while backend.status(process) is ProcessStatus.STOPPED:
        if time.monotonic() >= deadline:
            raise DeployError(f"{process.name} was started but is not running")
        time.sleep(interval)
        interval = min(interval * 2, 0.1)


def _confirm_running(started: list[DeployedProcess], backend: Switcher, max_concurrent: int) -> None:
    """A moment after the last start, every started process must still run.

    A process that dies right after starting (its port taken, a bad
    configuration) first shows as running; like supervisord's ``startsecs``,
    this catches it, once per switch rather than once per process. The
    statuses are asked ``max_concurrent`` at once, as the starts were.
    """
    if not started:
        return
    time.sleep(SETTLE_TIME)
    futures, interrupted = run_parallel(backend.status, started, min(max_concurrent, len(started)))
    if interrupted:
        raise KeyboardInterrupt
    for process, future in zip(started, futures):
        if future.result() is ProcessStatus.STOPPED:
            raise DeployError(f"{process.name} was started but stopped again at once")


def _undo(undo: list[Undo], report: Report) -> int:
    """Run the undo steps newest first, past failures; how many failed."""
    failures = 0
    for what, step in reversed(undo):
        report(f"rolling back: {what}")
        try:
            step()
        except Exception as error:  # keep undoing: each step left alone is one more thing broken
            failures += 1
            report(f"error: rolling back: {what}: {error}")
    return failures


def _warn_on_failure(step: Callable[[], object], report: Report) -> None:
    try:
        step()
    except DeployError as error:
        report(f"warning: {error.message}")
