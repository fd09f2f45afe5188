"""Deploying bsdrc profiles: run their rc.subr scripts, as upstream's ``nixproc-bsdrc-deploy`` (SPEC §5.5).

A process's script is its output's ``etc/rc.d/<name>``, run from there:
``onestart`` starts it whatever ``rc.conf`` says, ``onestatus`` tells whether
it runs (0 running, 1 not), and ``onestop`` stops it, skipped when the
status says it does not run (rc.subr fails stopping what is not running).
The engine's dependency order replaces ``rcorder``.

With ``--enable-at-boot`` the scripts are also made part of the boot:
activation links each into ``BSDRC_TARGET_DIR`` (default
``/usr/local/etc/rc.d``; upstream ignores the variable) and writes its
``<name>_<rcvar>=YES`` line into ``rc.conf``, and removes both for the
scripts only the previous profile had; processes then start with ``start``,
which proves rc.subr sees them enabled. ``rc.conf`` is ``BSDRC_RC_CONF``,
else ``/etc/rc.conf``; the variable lets tests, or a jail's tooling, point
elsewhere. A script without an ``rcvar`` needs no line.

FreeBSD's rc.subr and ``daemon(8)`` cannot run here: the tests run the
generated scripts against stand-ins of both, put at ``/etc/rc.subr`` and
``/usr/sbin/daemon`` inside a private mount namespace.
"""
from __future__ import annotations

import os
import re

from nixproc_disnix.backends.common.switcher import ProcessStatus, Report, SwitchContext, run_command, run_reported
from nixproc_disnix.backends.common.target_dir import Placement, install_entries, output_entries, profile_entries
from nixproc_disnix.errors import DeployError
from nixproc_disnix.idassign.output import write_atomically
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile

SCRIPTS = os.path.join("etc", "rc.d")
DEFAULT_TARGET_DIR = "/usr/local/etc/rc.d"
DEFAULT_RC_CONF = "/etc/rc.conf"
_RCVAR = re.compile(r"^rcvar=\$\{name\}_([A-Za-z0-9_]+)$", re.MULTILINE)
_NOT_RUNNING = 1
"""rc.subr's exit status for ``status`` of a process that does not run."""


def enabling_variable(name: str, script: str) -> str | None:
    """The ``rc.conf`` variable that enables ``script`` (named ``name``): ``<name>_<rcvar>``; None without an rcvar."""
    with open(script, encoding="utf-8", errors="surrogateescape") as handle:
        found = _RCVAR.search(handle.read())
    return f"{name}_{found.group(1)}" if found else None


def with_enabled(rc_conf: str, enable: set[str], disable: set[str]) -> str:
    """``rc_conf`` with a ``<variable>=YES`` line for each of ``enable`` and none left for ``disable``.

    Other lines stay as they are, a line already present is not repeated,
    and new lines go at the end.
    """
    lines = [line for line in rc_conf.splitlines() if line not in {f"{variable}=YES" for variable in disable}]
    lines += [f"{variable}=YES" for variable in sorted(enable) if f"{variable}=YES" not in lines]
    return "".join(line + "\n" for line in lines)


def boot_entries(profile: DeployedProfile) -> tuple[dict[str, str], set[str]]:
    """``profile``'s scripts by name, and the rc.conf variables enabling them."""
    scripts = profile_entries(profile, SCRIPTS)
    variables = {enabling_variable(name, script) for name, script in scripts.items()}
    return scripts, {variable for variable in variables if variable is not None}


class BSDRCSwitcher:
    """Run rc.subr scripts from the processes' outputs, and with ``enable_at_boot`` install them for the boot."""

    def __init__(self, enable_at_boot: bool, target: str, rc_conf: str, report: Report) -> None:
        self.enable_at_boot = enable_at_boot
        self.target = target
        self.rc_conf = rc_conf
        self.report = report

    def stop(self, process: DeployedProcess) -> None:
        if self.status(process) is not ProcessStatus.STOPPED:
            self._run(process, "onestop")

    def activate(self, profile: DeployedProfile, previous: DeployedProfile) -> None:
        """With ``enable_at_boot``: ``profile``'s scripts linked and enabled in place of ``previous``'s."""
        if not self.enable_at_boot:
            return
        scripts, enabled = boot_entries(profile)
        old_scripts, old_enabled = boot_entries(previous)
        try:
            with open(self.rc_conf, encoding="utf-8", errors="surrogateescape") as handle:
                rc_conf = handle.read()
        except FileNotFoundError:
            rc_conf = ""
        updated = with_enabled(rc_conf, enabled, old_enabled - enabled)
        install_entries(self.target, scripts, old_scripts, Placement.LINK)
        if updated != rc_conf:
            write_atomically(self.rc_conf, updated)

    def start(self, process: DeployedProcess) -> None:
        self._run(process, "start" if self.enable_at_boot else "onestart")

    def status(self, process: DeployedProcess) -> ProcessStatus:
        """``onestatus``: RUNNING on 0, STOPPED on 1, UNKNOWN otherwise or for a process without a script."""
        script = self._script(process)
        if script is None:
            return ProcessStatus.UNKNOWN
        code, _ = run_command([script, "onestatus"])
        if code == 0:
            return ProcessStatus.RUNNING
        return ProcessStatus.STOPPED if code == _NOT_RUNNING else ProcessStatus.UNKNOWN

    @staticmethod
    def _script(process: DeployedProcess) -> str | None:
        scripts = output_entries(process.out_path, SCRIPTS)
        if len(scripts) > 1:
            raise DeployError(f"{process.name} has more than one rc.d script: {', '.join(scripts)}")
        return next(iter(scripts.values()), None)

    def _run(self, process: DeployedProcess, command: str) -> None:
        script = self._script(process)
        if script is not None:
            run_reported([script, command], self.report, f"{command.removeprefix('one')} {process.name}",
                         f"{os.path.basename(script)} {command}")


def switcher(context: SwitchContext) -> BSDRCSwitcher:
    """The bsdrc :class:`~nixproc_disnix.backends.common.switcher.Switcher`; directories from the environment."""
    return BSDRCSwitcher(
        context.enable_at_boot,
        os.environ.get("BSDRC_TARGET_DIR") or DEFAULT_TARGET_DIR,
        os.environ.get("BSDRC_RC_CONF") or DEFAULT_RC_CONF,
        context.report,
    )
