"""The contract every backend's switch keeps, and the registry that finds them.

A switch (``nixproc-<pm>-switch``, ``nixproc-<pm>-deploy``) is the same for
every process manager: plan from the old and new profile
(:mod:`nixproc_disnix.deploy.plan`), create accounts, stop, activate,
start, delete accounts, record the generation, and undo it all if a step
fails (:mod:`nixproc_disnix.deploy.switch`). Only four operations depend on
the manager; ``backends/<pm>/switch.py`` provides them as a
:class:`Switcher`, made by its module-level function
``switcher(context: SwitchContext) -> Switcher``.
"""
from __future__ import annotations

import enum
import importlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile
from nixproc_disnix.model.process import PROCESS_MANAGERS
from nixproc_disnix.model.state_dirs import StateDirs

Report = Callable[[str], None]
"""Where progress and process output go, one line per call (thread-safe: starts run in parallel)."""


class ProcessStatus(enum.Enum):
    """What :meth:`Switcher.status` found; UNKNOWN when the manager cannot tell (no status activity)."""

    RUNNING = "running"
    STOPPED = "stopped"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SwitchContext:
    """What a switcher is given: the deployment's directories, its manager-specific options, a reporter.

    ``runlevel`` is sysvinit's ``--runlevel``, ``user`` systemd's ``--user``,
    ``enable_at_boot`` bsdrc's ``--enable-at-boot``; other managers ignore them.
    """

    state_dirs: StateDirs
    report: Report
    runlevel: str | None = None
    user: bool = False
    enable_at_boot: bool = False


class Switcher(Protocol):
    """A process manager's part of a switch. Every method raises ``DeployError`` on failure.

    The executor calls, in order: :meth:`stop` for old processes (dependents
    first), :meth:`activate` once, :meth:`start` for new processes
    (dependencies first) and :meth:`status` after each start until it is
    not STOPPED. ``stop``/``start`` of independent processes run in
    parallel threads. To roll back it calls the same methods the other way
    round, with the profiles swapped. A process the manager does not run
    (e.g. no link for this runlevel) is silently skipped by all four.

    A switcher that runs the manager's own tools names them in a class
    attribute ``commands``: :func:`require_commands` checks they are
    installed before anything changes, as the undo of a failed step would
    need them too.
    """

    def stop(self, process: DeployedProcess) -> None:
        """Stop ``process`` (from the old profile); stopping what does not run succeeds."""

    def activate(self, profile: DeployedProfile, previous: DeployedProfile) -> None:
        """Make the manager see ``profile``'s files instead of ``previous``'s (link units, reload configuration)."""

    def start(self, process: DeployedProcess) -> None:
        """Start ``process`` (from the new profile)."""

    def status(self, process: DeployedProcess) -> ProcessStatus:
        """Whether ``process`` runs."""


def switcher(process_manager: str, context: SwitchContext) -> Switcher:
    """The switcher of ``process_manager`` (``backends/<pm>/switch.py``); a clear error if it has none yet."""
    if process_manager not in PROCESS_MANAGERS:
        raise DeployError(f"Unknown process manager: {process_manager}")
    module_name = f"nixproc_disnix.backends.{process_manager.replace('-', '_')}.switch"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        raise DeployError(f"deploying with {process_manager} is not supported yet") from None
    made: Switcher = module.switcher(context)
    return made


def require_commands(process_manager: str, backend: Switcher) -> None:
    """Fail, naming them, if commands the switcher runs (its ``commands``) are not in ``PATH``."""
    missing = [command for command in getattr(backend, "commands", ()) if shutil.which(command) is None]
    if missing:
        raise DeployError(f"cannot deploy with {process_manager}: {', '.join(missing)} "
                          f"{'is' if len(missing) == 1 else 'are'} not installed (not in PATH); "
                          f"nixproc doctor says what each process manager needs")


def run_command(argv: Sequence[str]) -> tuple[int, str]:
    """Run ``argv`` in ``/`` without input; its exit status and its output (stdout and stderr interleaved).

    The output goes through a file, not a pipe: a daemon it starts may keep
    the descriptors it inherited, and a pipe would then never reach its end.
    Running in ``/`` keeps daemons from pinning the caller's directory.
    The wait polls, so that Ctrl-C reaches a switch's thread (see
    :func:`~nixproc_disnix.deep.run_parallel`) even while a command takes
    long, like a start that waits for readiness; the command is killed then.
    """
    with tempfile.TemporaryFile() as output:
        try:
            child = subprocess.Popen(list(argv), cwd="/", stdin=subprocess.DEVNULL, stdout=output, stderr=output)
        except FileNotFoundError:
            if "/" in argv[0]:
                raise DeployError(f"cannot run {argv[0]}: No such file or directory") from None
            raise DeployError(f"cannot run {argv[0]}: it is not installed (not in PATH); "
                              f"nixproc doctor says what each process manager needs") from None
        except OSError as error:
            raise DeployError(f"cannot run {argv[0]}: {error.strerror}") from None
        with child:
            returncode = _wait_interruptibly(child)
        output.seek(0)
        return returncode, output.read().decode("utf-8", "replace")


def _wait_interruptibly(child: subprocess.Popen[bytes]) -> int:
    """``child``'s exit status; an exception raised in this thread meanwhile kills it.

    A wait with a timeout polls in Python, where an interrupt is delivered; a plain wait blocks in C.
    """
    try:
        while True:
            try:
                return child.wait(timeout=1)
            except subprocess.TimeoutExpired:
                continue
    except BaseException:
        child.kill()
        child.wait()
        raise


def run_reported(
    argv: Sequence[str], report: Report, what: str, command: str | None = None, accepted: Collection[int] = (0,)
) -> None:
    """:func:`run_command`, its output passed on to ``report``; an exit status not ``accepted`` is the error
    ``cannot <what>: <command> exited with status N`` (``command`` shows ``argv``, by default all of it)."""
    code, output = run_command(argv)
    for line in output.splitlines():
        report(line)
    if code not in accepted:
        raise DeployError(f"cannot {what}: {command or ' '.join(argv)} exited with status {code}")
