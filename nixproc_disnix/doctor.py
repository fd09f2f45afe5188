"""``nixproc doctor``: which process managers and tools can run on this machine, and their versions.

A processes model deploys with any of nine process managers, but a machine
has only some of them; this tells a user which ``nixproc-<pm>-switch`` will
work here and, for the others, what to install (Debian package names) or why
not (wrong platform, systemd not running as init).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

from rich.table import Table
from rich.text import Text

from nixproc_disnix.model.doctor import CheckStatus, ComponentStatus, DoctorReport, Kind, ToolStatus

VERSION_TIMEOUT = 3.0
"""Seconds a version query may take; a tool that hangs is reported without a version."""

# The first dotted number, with a package suffix such as "+dfsg1" or "-RELEASE".
_DOTTED_VERSION = re.compile(r"(\d+(?:\.\d+)+(?:[-+~][0-9A-Za-z][0-9A-Za-z.+~-]*)?)")


class Platform(NamedTuple):
    """A ``sys.platform`` prefix and how to say that a component needs it."""

    prefix: str
    label: str


LINUX = Platform("linux", "Linux only")
MACOS = Platform("darwin", "macOS only")
CYGWIN = Platform("cygwin", "Cygwin only")
FREEBSD = Platform("freebsd", "FreeBSD only")


@dataclass(frozen=True)
class Tool:
    """An executable to look for; ``version_args`` None means it has no way to tell its version."""

    command: str
    version_args: tuple[str, ...] | None = ("--version",)
    version_pattern: re.Pattern[str] = _DOTTED_VERSION
    required: bool = True


@dataclass(frozen=True)
class Component:
    """What a process manager or tool needs on a machine, and how to get it."""

    name: str
    kind: Kind
    tools: tuple[Tool, ...]
    install: str
    only_on: Platform | None = None
    checks: tuple[Callable[[], CheckStatus], ...] = ()


def systemd_is_init() -> CheckStatus:
    """systemd manages services only when it booted the machine (``sd_booted()``'s test)."""
    if os.path.isdir("/run/systemd/system"):
        return CheckStatus(name="systemd is PID 1", ok=True, detail="systemd is PID 1")
    try:
        with open("/proc/1/comm", encoding="utf-8", errors="replace") as file:
            init = file.read().strip()
    except OSError:
        init = "unknown"
    return CheckStatus(name="systemd is PID 1", ok=False,
                       detail=f"systemd is not PID 1 (PID 1 is '{init}'): systemctl cannot start services here")


def rc_subr_present() -> CheckStatus:
    """BSD rc scripts source ``/etc/rc.subr``."""
    ok = os.path.isfile("/etc/rc.subr")
    return CheckStatus(name="rc.subr", ok=ok, detail="/etc/rc.subr found" if ok else "no /etc/rc.subr")


COMPONENTS: tuple[Component, ...] = (
    Component("sysvinit", "process manager", (Tool("bash"),), "apt-get install bash", LINUX),
    Component("bsdrc", "process manager", (Tool("freebsd-version", ()),), "part of the FreeBSD base system",
              FREEBSD, (rc_subr_present,)),
    Component("systemd", "process manager",
              (Tool("systemctl", version_pattern=re.compile(r"systemd (\d+)")),
               Tool("systemd-analyze", version_pattern=re.compile(r"systemd (\d+)"), required=False)),
              "apt-get install systemd, and boot with it as init", LINUX, (systemd_is_init,)),
    Component("supervisord", "process manager", (Tool("supervisord"), Tool("supervisorctl", None)),
              "apt-get install supervisor"),
    Component("launchd", "process manager", (Tool("launchctl", ("version",)),), "part of macOS", MACOS),
    Component("cygrunsrv", "process manager", (Tool("cygrunsrv"),), "Cygwin's setup: package cygrunsrv", CYGWIN),
    Component("disnix", "process manager", (Tool("disnix-env"), Tool("dysnomia")),
              "not packaged in Debian; with Nix: nix-env -iA nixpkgs.disnix"),
    Component("docker", "process manager", (Tool("docker"), Tool("dockerd", required=False)),
              "apt-get install docker.io"),
    Component("s6-rc", "process manager", (Tool("s6-svscan", None), Tool("s6-rc", None), Tool("s6-rc-compile", None)),
              "apt-get install s6 s6-rc (s6-rc: Debian 13 and later)"),
    Component("daemon", "tool", (Tool("daemon"),), "apt-get install daemon"),
    Component("nix", "tool", (Tool("nix-instantiate"), Tool("nix-build"), Tool("nix-store")), "apt-get install nix-bin"),
    Component("graphviz", "tool", (Tool("dot", ("-V",)),), "apt-get install graphviz"),
    Component("shellcheck", "tool", (Tool("shellcheck"),), "apt-get install shellcheck"),
)


def find_component(name: str) -> Component:
    """The entry of :data:`COMPONENTS` called ``name``, for a command that needs it: its checks, how to install it."""
    return next(component for component in COMPONENTS if component.name == name)


def tool_version(path: str, tool: Tool, timeout: float = VERSION_TIMEOUT) -> str | None:
    """The version ``path`` reports, from standard output or error, whatever its exit status.

    Tools differ: ``dot -V`` prints to standard error, some print usage and
    fail; only the text matters. A tool that hangs or cannot run has no
    version; it runs in its own session so that a timeout also ends the
    children of a wrapper script, which would otherwise hold the pipes open.
    """
    if tool.version_args is None:
        return None
    try:
        with subprocess.Popen([path, *tool.version_args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env={**os.environ, "LC_ALL": "C"},
                              start_new_session=True) as process:
            try:
                stdout, stderr = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                return None
    except OSError:
        return None
    output = (stdout + b"\n" + stderr).decode("utf-8", "replace")
    match = tool.version_pattern.search(output)
    return match.group(1) if match else None


def probe_tool(tool: Tool, timeout: float = VERSION_TIMEOUT) -> ToolStatus:
    """Where ``PATH`` finds the tool, and its version."""
    path = shutil.which(tool.command)
    if path is None:
        return ToolStatus(command=tool.command, required=tool.required, found=False)
    return ToolStatus(command=tool.command, required=tool.required, found=True, path=path,
                      version=tool_version(path, tool, timeout))


def diagnose(platform: str = sys.platform, timeout: float = VERSION_TIMEOUT,
             components: tuple[Component, ...] = COMPONENTS) -> DoctorReport:
    """Look for every component's tools (in parallel: each version query starts a process) and run its checks.

    Checks run only on the component's platform; elsewhere the component is
    unavailable whatever is on PATH.
    """
    tools = list(dict.fromkeys(tool for component in components for tool in component.tools))
    with ThreadPoolExecutor(max_workers=8) as executor:
        probed = dict(zip(tools, executor.map(lambda tool: probe_tool(tool, timeout), tools)))
    return DoctorReport(platform=platform, components=[
        _status(component, [probed[tool] for tool in component.tools], platform) for component in components])


def _status(component: Component, tools: list[ToolStatus], platform: str) -> ComponentStatus:
    only_on = component.only_on
    wrong_platform = None if only_on is None or platform.startswith(only_on.prefix) else only_on.label
    checks = [] if wrong_platform else [check() for check in component.checks]
    failed = next((check for check in checks if not check.ok), None)
    hint: str | None
    if wrong_platform:
        hint = wrong_platform
    elif any(tool.required and not tool.found for tool in tools):
        hint = component.install
    else:
        hint = failed.detail if failed else None
    return ComponentStatus(name=component.name, kind=component.kind, available=hint is None, tools=tools,
                           checks=checks, hint=hint)


def report_table(report: DoctorReport) -> Table:
    """The report for people: a row per tool, grouped by component, process managers first."""
    table = Table(title=f"nixproc doctor ({report.platform})", title_justify="left")
    for column in ("component", "ok", "tool", "version", "path", "notes"):
        table.add_column(column, overflow="fold")
    for index, component in enumerate(report.components):
        following = report.components[index + 1] if index + 1 < len(report.components) else None
        notes = component.hint or "; ".join(check.detail for check in component.checks)
        for row, tool in enumerate(component.tools):
            first = row == 0
            last = row == len(component.tools) - 1
            table.add_row(
                Text(component.name, style="bold") if first else None,
                (Text("yes", style="green") if component.available else Text("no", style="red")) if first else None,
                Text(tool.command + ("" if tool.required else " (optional)"), style="" if tool.found else "dim"),
                tool.version,
                Text(tool.path) if tool.found else Text("not found", style="dim"),
                Text(notes) if first else None,
                end_section=last and following is not None and following.kind != component.kind,
            )
    return table
