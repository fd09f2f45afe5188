"""Deploying sysvinit profiles: run their init scripts, as upstream's ``nixproc-sysvinit-deploy`` (SPEC §5.5).

A process takes part in runlevel L when its output has an
``etc/rc.d/rc<L>.d/S<NN><name>`` link; its script runs from its own output
(``<link> start`` / ``<link> stop``), so nothing is installed anywhere and
activation is a no-op. The runlevel is ``--runlevel``, else what the
``runlevel`` command says, else 3. The scripts source our init functions
and daemonize with libslack's ``daemon``, so this works on any Linux
machine, with or without a real sysvinit.
"""
from __future__ import annotations

import os
import re
import subprocess

from nixproc_disnix.backends.common.switcher import ProcessStatus, Report, SwitchContext, run_command, run_reported
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile

DEFAULT_RUNLEVEL = "3"
_STATUS_BRANCH = re.compile(r"^status\)$", re.MULTILINE)
_NOT_RUNNING = (1, 2, 3)
"""LSB status codes of a process that does not run (dead with PID file, dead with lock file, not running)."""


def current_runlevel() -> str:
    """The second field of ``runlevel``'s output; :data:`DEFAULT_RUNLEVEL` when it is ``unknown`` or missing."""
    try:
        result = subprocess.run(["runlevel"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    except OSError:
        return DEFAULT_RUNLEVEL
    fields = result.stdout.split()
    return fields[1] if len(fields) == 2 and fields[1].isalnum() else DEFAULT_RUNLEVEL


def checked_runlevel(runlevel: str | None) -> str:
    """``--runlevel`` if given (it names ``rc<L>.d``), else the machine's."""
    if runlevel is None:
        return current_runlevel()
    if not (runlevel.isascii() and runlevel.isalnum()):
        raise DeployError(f"invalid runlevel '{runlevel}'")
    return runlevel


def start_links(root: str, runlevel: str) -> list[str]:
    """The ``S*`` links of ``<root>/etc/rc.d/rc<L>.d``, by name."""
    directory = os.path.join(root, "etc", "rc.d", f"rc{runlevel}.d")
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return []
    return [os.path.join(directory, name) for name in names if name.startswith("S")]


class SysvinitSwitcher:
    """Start and stop processes through their ``rc<L>.d/S*`` scripts."""

    def __init__(self, runlevel: str, report: Report) -> None:
        self.runlevel = runlevel
        self.report = report

    def stop(self, process: DeployedProcess) -> None:
        self._run(process, "stop")

    def activate(self, profile: DeployedProfile, previous: DeployedProfile) -> None:
        """Nothing to install: the scripts run from the processes' outputs."""

    def start(self, process: DeployedProcess) -> None:
        self._run(process, "start")

    def status(self, process: DeployedProcess) -> ProcessStatus:
        """The script's ``status`` activity by LSB exit code; UNKNOWN when it has none or the process takes no part."""
        script = self._script(process)
        if script is None:
            return ProcessStatus.UNKNOWN
        with open(script, encoding="utf-8", errors="replace") as handle:
            if not _STATUS_BRANCH.search(handle.read()):
                return ProcessStatus.UNKNOWN
        code, _ = run_command([script, "status"])
        if code == 0:
            return ProcessStatus.RUNNING
        return ProcessStatus.STOPPED if code in _NOT_RUNNING else ProcessStatus.UNKNOWN

    def _script(self, process: DeployedProcess) -> str | None:
        links = start_links(process.out_path, self.runlevel)
        return links[0] if links else None

    def _run(self, process: DeployedProcess, activity: str) -> None:
        script = self._script(process)
        if script is None:
            return
        run_reported([script, activity], self.report, f"{activity} {process.name}",
                     f"{os.path.basename(script)} {activity}")


def switcher(context: SwitchContext) -> SysvinitSwitcher:
    """The sysvinit :class:`~nixproc_disnix.backends.common.switcher.Switcher` for ``context``'s runlevel."""
    return SysvinitSwitcher(checked_runlevel(context.runlevel), context.report)


def run_activity(profile: str, activity: str, runlevel: str | None, reverse: bool, report: Report) -> None:
    """``nixproc-sysvinit-runactivity``: ``<script> ACTIVITY`` for every ``S*`` link of the profile's runlevel.

    By link name (descending with ``reverse``), as upstream; every script
    runs even when one fails, and then the failures are the error.
    """
    links = start_links(profile, checked_runlevel(runlevel))
    failed = []
    for link in reversed(links) if reverse else links:
        code, output = run_command([link, activity])
        for line in output.splitlines():
            report(line)
        if code != 0:
            failed.append(f"{os.path.basename(link)} (status {code})")
    if failed:
        raise DeployError(f"{activity} failed for {', '.join(failed)}")
