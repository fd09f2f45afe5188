"""STAND-INS for the command-line tools of managers that cannot run here: systemctl, launchctl, cygrunsrv.

systemd is not PID 1 on this machine, launchd is macOS's and cygrunsrv
Windows'. Each is played by :func:`main` through
:mod:`recording_stand_in` (which records every call) and keeps what it
was told in ``state[<tool>]``. Answers, exit statuses and the errors for
using a tool wrongly (starting a unit before ``daemon-reload`` saw it,
loading a plist twice, installing a service twice) follow the real tools
where the switchers depend on them, and are stricter where a mistake
would otherwise pass unnoticed. Tests set ``state[<tool>]["fail"]``: a job
whose definition contains that text cannot run, as a real process failing
at once; systemctl loads units from ``state["systemctl"]["unit_path"]``.
"""
from __future__ import annotations

import plistlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

State = dict[str, Any]


def main(command: str, args: list[str], state: State) -> int:
    """Play ``command`` with ``args`` on what it remembers (``state[command]``); its exit status."""
    return COMMANDS[command](state.setdefault(command, {}), args)


def _fails(remembered: State, definition: str) -> bool:
    failing = remembered.get("fail")
    return bool(failing) and failing in definition


def _error(message: str, status: int = 1) -> int:
    print(message, file=sys.stderr)
    return status


def systemctl(remembered: State, argv: list[str]) -> int:
    """``[--user] daemon-reload | start U… | stop U… | is-active U…`` over the units in ``unit_path``."""
    scope = remembered.setdefault("user" if argv[:1] == ["--user"] else "system", {"loaded": {}, "active": {}})
    argv = argv[1:] if argv[:1] == ["--user"] else argv
    verb, units = argv[0], argv[1:]
    unit_path = Path(remembered["unit_path"])
    loaded, active = scope["loaded"], scope["active"]
    if verb == "daemon-reload":
        scope["loaded"] = {entry.name: entry.read_text() for entry in sorted(unit_path.glob("*"))
                           if not entry.name.endswith(".wants")}
        return 0
    if verb == "start":
        for unit in units:
            if unit not in loaded:
                return _error(f"Failed to start {unit}: Unit {unit} not found.", 5)
            on_disk = unit_path / unit
            if not on_disk.exists() or on_disk.read_text() != loaded[unit]:
                return _error(f"Warning: The unit file of {unit} changed on disk. Run 'systemctl daemon-reload'.")
            if _fails(remembered, loaded[unit]):
                active[unit] = "failed"
                return _error(f"Job for {unit} failed because the control process exited with error code.")
            active[unit] = "active"
        return 0
    if verb == "stop":
        for unit in units:
            if unit not in loaded and unit not in active:
                return _error(f"Failed to stop {unit}: Unit {unit} not loaded.", 5)
            active[unit] = "inactive"
        return 0
    if verb == "is-active":
        states = [active.get(unit, "inactive") for unit in units]
        print("\n".join(states))
        return 0 if all(state == "active" for state in states) else 3
    return _error(f'Unknown command verb "{verb}".')


def launchctl(remembered: State, argv: list[str]) -> int:
    """``load -w PLIST | unload PLIST | start LABEL | stop LABEL | list LABEL``; ``load`` parses with plistlib."""
    loaded = remembered.setdefault("loaded", {})
    running = remembered.setdefault("running", {})
    verb = argv[0]
    if verb in ("load", "unload"):
        path = Path(argv[-1])
        if path.is_symlink() or not path.is_file():
            return _error(f"{path}: No such file or not a regular file")
        try:
            label = plistlib.loads(path.read_bytes())["Label"]
        except (plistlib.InvalidFileException, KeyError, TypeError, ValueError):
            return _error(f"{path}: Invalid property list")
        if verb == "load":
            if label in loaded:
                return _error(f"{path}: service already loaded")
            loaded[label] = {"path": str(path), "plist": path.read_text(), "last_exit": 0}
            return 0
        if label not in loaded:
            return _error(f"{path}: Could not find specified service")
        del loaded[label]
        running.pop(label, None)
        return 0
    label = argv[1]
    if label not in loaded:
        return _error(f'Could not find service "{label}" in domain for port', 113 if verb == "list" else 3)
    if verb == "start":
        if _fails(remembered, loaded[label]["plist"]):
            loaded[label]["last_exit"] = 1
        else:
            running[label] = 10000 + len(remembered.setdefault("started", []))
            remembered["started"].append(label)
        return 0
    if verb == "stop":
        running.pop(label, None)
        return 0
    if verb == "list":
        pid = f'\t"PID" = {running[label]};\n' if label in running else ""
        print(f'{{\n\t"Label" = "{label}";\n\t"LastExitStatus" = {loaded[label]["last_exit"]};\n{pid}}};')
        return 0
    return _error(f"Unrecognized subcommand: {verb}")


CYGRUNSRV_VALUED = {"--path", "--args", "--env", "--disp", "--desc", "--type", "--user", "--passwd", "--dep",
                    "--stdin", "--stdout", "--stderr", "--termsig"}
CYGRUNSRV_FLAGS = {"--shutdown", "--interactive", "--nohide", "--preshutdown"}


def cygrunsrv(remembered: State, argv: list[str]) -> int:
    """``--install S OPTION…``, ``--start|--stop|--remove|--query S``; install options checked one argument each."""
    services = remembered.setdefault("services", {})
    action, service, options = argv[0], argv[1], argv[2:]
    if action == "--install":
        index = 0
        while index < len(options):
            option = options[index]
            if option in CYGRUNSRV_VALUED and index + 1 < len(options):
                index += 2
            elif option in CYGRUNSRV_FLAGS:
                index += 1
            else:
                return _error(f"cygrunsrv: Unrecognized option or missing value: {option!r}")
        if "--path" not in options:
            return _error("cygrunsrv: Installing a service requires the --path option.")
        if service in services:
            return _error("Error installing a service: CreateService: Win32 error 1073:\nThe specified service already exists.")
        services[service] = {"argv": options, "state": "Stopped"}
        return 0
    if service not in services:
        return _error("OpenService: Win32 error 1060:\nThe specified service does not exist as an installed service.")
    entry = services[service]
    if action == "--start":
        if any(_fails(remembered, option) for option in entry["argv"]):
            return _error("Error starting a service: QueryServiceStatus: Win32 error 1062:\nThe service has not been started.")
        entry["state"] = "Running"
        return 0
    if action == "--stop":
        if entry["state"] != "Running":
            return _error("Error stopping a service: ControlService: Win32 error 1062:\nThe service has not been started.")
        entry["state"] = "Stopped"
        return 0
    if action == "--remove":
        if entry["state"] == "Running":
            return _error("Error removing a service: the service is still running.")
        del services[service]
        return 0
    if action == "--query":
        print(f"Service             : {service}\nCurrent State       : {entry['state']}\n")
        return 0
    return _error(f"cygrunsrv: Unrecognized option: {action}")


COMMANDS: dict[str, Callable[[State, list[str]], int]] = {
    "systemctl": systemctl, "launchctl": launchctl, "cygrunsrv": cygrunsrv,
}
