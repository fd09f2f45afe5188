"""Deploying s6-rc profiles, as upstream's ``nixproc-s6-rc-deploy`` (SPEC §5.5).

Directories: the state directory (``--state-dir``, else ``/var``), the
runtime directory (``--runtime-dir``, else ``<state>/run``), in it the scan
directory ``service`` of a running ``s6-svscan`` and the live state
``s6-rc``, and the compiled databases in ``<state>/etc/s6/rc``.

Activation compiles the profile's ``etc/s6/sv`` with ``s6-rc-compile`` into
``compiled-<first 32 characters of the profile's name>`` (its hash) unless
that database exists, hands it to s6-rc (``s6-rc-init`` when there is no
live state yet, else ``s6-rc-update``, which brings down the services the
new database lacks), points ``<compile dir>/compiled`` at it and deletes
the database it replaced. Upstream then brings the whole ``default`` bundle
up at once; here each process comes up on its own, dependencies first, with
``s6-rc -u change <service>`` (and the logger it produces for, if any), and
goes down with ``s6-rc -d change <service>``. A process runs when
``s6-rc -a list`` lists it.

Unlike upstream, a database is compiled under a temporary name and renamed,
so an interrupted compilation is never taken for a finished one, and the
replaced database is deleted only once ``compiled`` no longer points at it.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass

from nixproc_disnix.backends.common.switcher import ProcessStatus, Report, SwitchContext, run_command, run_reported
from nixproc_disnix.deploy.state import DEFAULT_STATE_DIR
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store.roots import replace_symlink

SOURCE_DIR = os.path.join("etc", "s6", "sv")
"""Where a profile and a process output keep their service definitions."""
EMPTY_PROFILE_LABEL = "empty"
"""The database label of "nothing deployed" (no profile, so no hash to name it after)."""


@dataclass(frozen=True)
class S6RCDirs:
    """Where s6-rc's scan directory, compiled databases and live state are."""

    scan_dir: str
    compile_dir: str
    live_dir: str

    @classmethod
    def of(cls, dirs: StateDirs) -> S6RCDirs:
        state_dir = dirs.state_dir or DEFAULT_STATE_DIR
        runtime_dir = dirs.runtime_dir or os.path.join(state_dir, "run")
        return cls(
            scan_dir=os.path.join(runtime_dir, "service"),
            compile_dir=os.path.join(state_dir, "etc", "s6", "rc"),
            live_dir=os.path.join(runtime_dir, "s6-rc"),
        )

    @property
    def current(self) -> str:
        """The link to the database s6-rc runs."""
        return os.path.join(self.compile_dir, "compiled")

    def database(self, profile: DeployedProfile) -> str:
        label = os.path.basename(profile.path)[:32] if profile.path else EMPTY_PROFILE_LABEL
        return os.path.join(self.compile_dir, f"compiled-{label}")


def services_of(process: DeployedProcess) -> list[str]:
    """The services that bring ``process`` up: its own and the logger it is ``producer-for``.

    None when its output has no definition of it (s6-rc does not run it).
    """
    definition = os.path.join(process.out_path, SOURCE_DIR, process.name)
    if not os.path.isdir(definition):
        return []
    try:
        with open(os.path.join(definition, "producer-for"), encoding="utf-8") as handle:
            consumers = [line.strip() for line in handle if line.strip()]
    except FileNotFoundError:
        consumers = []
    return [process.name, *consumers]


class S6RCSwitcher:
    """Compile profiles into s6-rc databases, make them live, and bring services up and down."""

    commands = ("s6-rc-compile", "s6-rc-init", "s6-rc-update", "s6-rc")

    def __init__(self, dirs: S6RCDirs, report: Report) -> None:
        self.dirs = dirs
        self.report = report

    def stop(self, process: DeployedProcess) -> None:
        """Bring the service down (s6-rc takes its dependents down first); the logger stays for its last words."""
        if process.name in self._up():
            self._s6_rc(f"stop {process.name}", "-d", "change", process.name)

    def activate(self, profile: DeployedProfile, previous: DeployedProfile) -> None:
        database = self.dirs.database(profile)
        if not os.path.isdir(database):
            self._compile(profile, database)
        current = self.dirs.current
        replaced = os.path.realpath(current) if os.path.lexists(current) else None
        if not os.path.isdir(self.dirs.live_dir):
            if not os.path.isdir(self.dirs.scan_dir):
                raise DeployError(f"cannot initialise s6-rc: the scan directory {self.dirs.scan_dir} does not exist "
                                  f"(s6-rc needs an s6-svscan running on it)")
            run_reported(["s6-rc-init", "-c", database, "-l", self.dirs.live_dir, self.dirs.scan_dir], self.report,
                         "initialise s6-rc", f"s6-rc-init -c {database}")
        elif replaced != os.path.realpath(database):
            run_reported(["s6-rc-update", "-l", self.dirs.live_dir, database], self.report,
                         "update s6-rc's live state", f"s6-rc-update {database}")
        replace_symlink(database, current)
        if replaced is not None and replaced != os.path.realpath(database):
            shutil.rmtree(replaced, ignore_errors=True)

    def start(self, process: DeployedProcess) -> None:
        services = services_of(process)
        if services:
            self._s6_rc(f"start {process.name}", "-u", "change", *services)

    def status(self, process: DeployedProcess) -> ProcessStatus:
        if not services_of(process):
            return ProcessStatus.UNKNOWN
        return ProcessStatus.RUNNING if process.name in self._up() else ProcessStatus.STOPPED

    def _compile(self, profile: DeployedProfile, database: str) -> None:
        """``s6-rc-compile`` the profile's definitions (none for nothing deployed) into ``database``, atomically."""
        os.makedirs(self.dirs.compile_dir, exist_ok=True)
        partial = f"{database}.tmp-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        source = os.path.join(profile.path, SOURCE_DIR) if profile.path else ""
        with tempfile.TemporaryDirectory(prefix="s6-rc-empty-") as empty:
            if not os.path.isdir(source):
                source = empty
            run_reported(["s6-rc-compile", partial, source], self.report, f"compile {source}",
                         f"s6-rc-compile {os.path.basename(database)} {source}")
        os.rename(partial, database)

    def _s6_rc(self, what: str, *args: str) -> None:
        run_reported(["s6-rc", "-l", self.dirs.live_dir, *args], self.report, what, f"s6-rc {' '.join(args)}")

    def _up(self) -> set[str]:
        """The services s6-rc has up; none without a live state."""
        if not os.path.isdir(self.dirs.live_dir):
            return set()
        code, output = run_command(["s6-rc", "-l", self.dirs.live_dir, "-a", "list"])
        if code != 0:
            raise DeployError(f"cannot list the services s6-rc has up: s6-rc -a list exited with status {code}: "
                              f"{output.strip()}")
        return set(output.split())


def switcher(context: SwitchContext) -> S6RCSwitcher:
    """The s6-rc :class:`~nixproc_disnix.backends.common.switcher.Switcher` of ``context``'s state directories."""
    return S6RCSwitcher(S6RCDirs.of(context.state_dirs), context.report)
