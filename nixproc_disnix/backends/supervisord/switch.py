"""Deploying supervisord profiles into a running supervisord, as upstream's ``nixproc-supervisord-deploy`` (SPEC §5.5).

The supervisord's configuration directory is ``SUPERVISORD_CONF_DIR``.
Upstream refuses to run without it; here it defaults to
``<libDir>/supervisord`` (``/var/lib/supervisord`` with the default state
directory), where upstream's own tests and the extendable supervisord
constructor of ``examples/services-agnostic`` keep it. Programs are linked
into its ``conf.d`` (where only links a deployment made are replaced or
removed). ``supervisorctl`` reaches the supervisord through
``$SUPERVISORD_CONF_DIR/supervisord.conf`` (its server URL and
credentials). When that file does not exist it is written
(``templates/conf-dir-supervisord.conf.j2``): a supervisord whose log, PID
file, child logs and control socket are in that directory, the socket
usable by its owner only. Upstream writes no such file, and the profile's
own ``supervisord.conf`` (SPEC §3.11) serves HTTP on 127.0.0.1:9001
without credentials, which would let any local user start programs as the
users they run as. When no supervisord answers, the switch starts one with
that configuration (``supervisord -c``, which daemonizes) and waits for it.

Upstream links and unlinks, then ``supervisorctl reread`` and ``update``
stop, change and start every program at once, in supervisord's order.
Here activation links and unlinks, runs ``reread``, and runs ``update``
only for the programs that went away (stopped before); each program starts on
its own, dependencies first: ``supervisorctl update <name>`` adds it with
its new configuration (supervisord's autostart may start it right away)
and ``start <name>`` starts it otherwise. As ``supervisorctl start``, a
start waits until supervisord reports the program RUNNING, and fails with
supervisord's reason (``Exited too quickly``) once it stops retrying. A
program stops with ``supervisorctl stop <name>``.
"""
from __future__ import annotations

import os
import time

from nixproc_disnix.backends.common.switcher import ProcessStatus, Report, SwitchContext, run_command, run_reported
from nixproc_disnix.backends.common.templates import template_environment
from nixproc_disnix.backends.common.target_dir import Placement, install_entries, profile_entries
from nixproc_disnix.deploy.state import DEFAULT_STATE_DIR
from nixproc_disnix.errors import DeployError
from nixproc_disnix.idassign.output import write_atomically
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile
from nixproc_disnix.model.state_dirs import StateDirs

CONF_DIR_VARIABLE = "SUPERVISORD_CONF_DIR"
CONFIG_FILE = "supervisord.conf"
STATES = ("STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL", "UNKNOWN")
"""What ``supervisorctl status`` calls a program's state."""
_CHANGING = ("STARTING", "BACKOFF", "STOPPING")
"""States supervisord leaves by itself: a start ends once the program stayed up for ``startsecs`` or
supervisord gave up retrying (FATAL), a stop once the program exited."""
_IDLE = ("STOPPED", "EXITED")
"""States of a program nobody started (autostart is off, or it was stopped), as opposed to FATAL."""
_POLL_INTERVAL = 0.25
_UNREACHABLE = 4
"""``supervisorctl``'s exit status when no supervisord answers at the configured server URL."""
_START_TIMEOUT = 15.0
"""How long a supervisord the switch started may take to answer."""
_TEMPLATES = template_environment(__package__)


def conf_dir(dirs: StateDirs) -> str:
    """``SUPERVISORD_CONF_DIR``, else ``supervisord`` in the lib directory (``--lib-dir``, else ``<state dir>/lib``)."""
    given = os.environ.get(CONF_DIR_VARIABLE)
    if given:
        return given
    lib_dir = dirs.lib_dir or os.path.join(dirs.state_dir or DEFAULT_STATE_DIR, "lib")
    return os.path.join(lib_dir, "supervisord")


def program_states(status_output: str) -> dict[str, list[tuple[str, str]]]:
    """``supervisorctl status`` output as each program's (group's) processes' state and description.

    Lines are ``<name> <STATE> <description>``; a process of a group with
    several (``numprocs``) is named ``<group>:<process>``.
    """
    states: dict[str, list[tuple[str, str]]] = {}
    for line in status_output.splitlines():
        words = line.split(None, 2)
        if len(words) >= 2 and words[1] in STATES:
            group = words[0].split(":", 1)[0]
            states.setdefault(group, []).append((words[1], words[2] if len(words) == 3 else ""))
    return states


class SupervisordSwitcher:
    """Add, start, stop and remove the programs of a running supervisord through ``supervisorctl``."""

    commands = ("supervisord", "supervisorctl")

    def __init__(self, directory: str, report: Report) -> None:
        self.directory = directory
        self.report = report

    @property
    def config(self) -> str:
        return os.path.join(self.directory, CONFIG_FILE)

    def stop(self, process: DeployedProcess) -> None:
        if process.name in self._states():
            self._supervisorctl(f"stop {process.name}", "stop", process.name)

    def activate(self, profile: DeployedProfile, previous: DeployedProfile) -> None:
        """Link ``profile``'s ``conf.d`` files and unlink the rest of ``previous``'s, reread, drop the programs gone."""
        entries = profile_entries(profile, "conf.d")
        previous_entries = profile_entries(previous, "conf.d")
        self.ensure_running()
        install_entries(os.path.join(self.directory, "conf.d"), entries, previous_entries, Placement.LINK)
        self._supervisorctl("reread the supervisord configuration", "reread")
        gone = [entry.removesuffix(".conf") for entry in sorted(previous_entries.keys() - entries.keys())]
        loaded = self._states() if gone else {}
        removed = [name for name in gone if name in loaded]
        if removed:
            self._supervisorctl(f"remove {' '.join(removed)}", "update", *removed)

    def start(self, process: DeployedProcess) -> None:
        """Add the program with its current configuration, start it unless supervisord did, wait until it runs."""
        if not os.path.exists(os.path.join(process.out_path, "conf.d", f"{process.name}.conf")):
            return
        self._supervisorctl(f"add {process.name}", "update", process.name)
        started = False
        while True:
            states = self._states().get(process.name, [])
            if not states:
                raise DeployError(f"cannot start {process.name}: supervisord does not know it after an update")
            if all(state == "RUNNING" for state, _ in states):
                return
            if any(state in _CHANGING for state, _ in states):
                time.sleep(_POLL_INTERVAL)
            elif not started and all(state in ("RUNNING", *_IDLE) for state, _ in states):
                self._supervisorctl(f"start {process.name}", "start", process.name)
                started = True
            else:
                state, description = next((state, text) for state, text in states if state != "RUNNING")
                raise DeployError(f"cannot start {process.name}: supervisord reports {state}"
                                  + (f": {description}" if description else ""))

    def status(self, process: DeployedProcess) -> ProcessStatus:
        """RUNNING when all its processes run; UNKNOWN while one stops or supervisord lost track; else STOPPED."""
        states = [state for state, _ in self._states().get(process.name, [])]
        if states and all(state == "RUNNING" for state in states):
            return ProcessStatus.RUNNING
        if any(state in ("STOPPING", "UNKNOWN") for state in states):
            return ProcessStatus.UNKNOWN
        return ProcessStatus.STOPPED

    def ensure_running(self) -> None:
        """Start the configuration directory's supervisord unless one answers (as every operation does first)."""
        self._states()

    def _write_config(self) -> None:
        """The configuration directory's ``supervisord.conf``, unless it has one."""
        if not os.path.exists(self.config):
            os.makedirs(self.directory, exist_ok=True)
            write_atomically(self.config, _TEMPLATES.get_template("conf-dir-supervisord.conf.j2").render())
            self.report(f"wrote {self.config}; supervisord -c {self.config} runs this deployment")

    def _supervisorctl(self, what: str, *args: str) -> None:
        self._write_config()
        run_reported(["supervisorctl", "-c", self.config, *args], self.report, what, f"supervisorctl {' '.join(args)}")

    def _states(self) -> dict[str, list[tuple[str, str]]]:
        """Every program's state, starting the supervisord when none answers; an error when that fails."""
        self._write_config()
        code, output = run_command(["supervisorctl", "-c", self.config, "status"])
        if code == _UNREACHABLE:
            code, output = self._start_supervisord()
        if code not in (0, 3):  # 3: some program is not running
            reason = output.strip().splitlines()[-1] if output.strip() else f"exit status {code}"
            raise DeployError(f"cannot reach supervisord through {self.config}: {reason}")
        return program_states(output)

    def _start_supervisord(self) -> tuple[int, str]:
        """``supervisord -c`` on the configuration, then wait until ``supervisorctl`` reaches it; its first
        answer to ``status``."""
        code, output = run_command(["supervisord", "-c", self.config])
        if code != 0:
            lines = output.strip().splitlines()  # "Error: <why>", then "For help, use ..."
            reason = next((line for line in lines if line.startswith("Error:")), lines[-1] if lines else
                          f"exit status {code}")
            raise DeployError(f"cannot start supervisord -c {self.config}: {reason}")
        self.report(f"started supervisord -c {self.config}")
        deadline = time.monotonic() + _START_TIMEOUT
        while (status := run_command(["supervisorctl", "-c", self.config, "status"]))[0] == _UNREACHABLE:
            if time.monotonic() > deadline:
                raise DeployError(f"supervisord -c {self.config} started but did not answer "
                                  f"within {_START_TIMEOUT:.0f} s")
            time.sleep(_POLL_INTERVAL)
        return status


def switcher(context: SwitchContext) -> SupervisordSwitcher:
    """The supervisord :class:`~nixproc_disnix.backends.common.switcher.Switcher` of ``SUPERVISORD_CONF_DIR``."""
    return SupervisordSwitcher(conf_dir(context.state_dirs), context.report)
