"""``nixproc logs``: one way to read a process's output, whichever process manager runs it.

Upstream leaves logging to each manager's habits, so a user must know them
(SPEC §2.4, §3). :func:`locate_log` is the pure part: from the manager, the
machine's log settings and the process's name it says where the output is,
as a :class:`LogFiles` (glob patterns; the newest match wins) or a
:class:`LogCommand` (a program that prints it):

- sysvinit, bsdrc, disnix: the ``nixproc-<name>.log`` the daemonizer writes
  into the log directory, or into the temp directory for a process that runs
  as an unprivileged user (both are looked at: the user is in the model);
- supervisord: the program's ``stdout_logfile``, by default the ``AUTO``
  file in ``childlogdir``;
- s6-rc: ``current`` in the s6-log companion service's directory;
- cygrunsrv: ``/var/log/<service>.log``, cygrunsrv's default;
- docker: ``docker logs nixproc-<name>``; systemd: ``journalctl`` of
  ``nix-process-<name>.service``;
- launchd keeps no output unless a plist asks for it: an error says so.

The rest reads files (the last lines, then what is appended, across
rotation) or runs the command, passing its output on.
"""
from __future__ import annotations

import configparser
import glob
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from pydantic import BaseModel, ConfigDict

from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.common.util import daemon_log_file
from nixproc_disnix.backends.cygrunsrv.generate import CygrunsrvComposition
from nixproc_disnix.backends.systemd.generate import SystemdComposition
from nixproc_disnix.errors import LogsError
from nixproc_disnix.model.state_dirs import StateDirs

DEFAULT_LINES = 10
POLL_INTERVAL = 0.2
"""Seconds between looks at a followed file that has nothing new."""

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class LogFiles(BaseModel):
    """Glob patterns (literal parts escaped) where the output may be; the newest file matching any is read."""

    model_config = _FROZEN

    kind: Literal["files"] = "files"
    patterns: tuple[str, ...]


class LogCommand(BaseModel):
    """A program that prints the output: ``program`` + the line-count and follow options + ``target``.

    ``component`` names the :mod:`nixproc_disnix.doctor` entry whose checks
    must pass and whose install hint helps when the program is missing.
    """

    model_config = _FROZEN

    kind: Literal["command"] = "command"
    program: tuple[str, ...]
    target: tuple[str, ...]
    lines_option: str
    follow_option: str
    component: str

    def argv(self, lines: int, follow: bool) -> list[str]:
        return [*self.program, self.lines_option, str(lines), *([self.follow_option] if follow else []), *self.target]


LogSource = LogFiles | LogCommand


class SupervisordLogs(BaseModel):
    """What supervisord's configuration says about a program's output (defaults: supervisord's own)."""

    model_config = _FROZEN

    child_log_dir: str
    identifier: str = "supervisor"
    stdout_logfile: str = "AUTO"


class LogSettings(BaseModel):
    """Where this machine's processes write: the state directories and the managers' own settings."""

    model_config = _FROZEN

    backend: BackendSettings
    supervisord: SupervisordLogs
    systemd_user: bool = False


def locate_log(process_manager: str, name: str, settings: LogSettings) -> LogSource:
    """Where ``process_manager`` keeps the output of the process ``name`` (module docstring)."""
    backend = settings.backend
    if process_manager in ("sysvinit", "bsdrc", "disnix"):
        # Whether the process runs as a user is up to the model: look where root's (log dir) and a
        # user's (tmp dir) output goes; under force-disable nobody switches user.
        users = (None,) if backend.force_disable_user_change else (None, name)
        paths = [daemon_log_file(name, name, backend.log_dir, backend.tmp_dir, user) for user in users]
        return LogFiles(patterns=tuple(glob.escape(path) for path in paths if path is not None))
    if process_manager == "s6-rc":
        return LogFiles(patterns=(glob.escape(f"{backend.log_dir}/s6-log/{name}/current"),))
    if process_manager == "supervisord":
        return LogFiles(patterns=(_supervisord_stdout(name, settings.supervisord),))
    if process_manager == "cygrunsrv":
        return LogFiles(patterns=(glob.escape(f"/var/log/{CygrunsrvComposition().prefix}{name}.log"),))
    if process_manager == "docker":
        return LogCommand(program=("docker", "logs"), target=(f"nixproc-{name}",), lines_option="--tail",
                          follow_option="--follow", component="docker")
    if process_manager == "systemd":
        return LogCommand(program=("journalctl", "--no-pager", *(("--user",) if settings.systemd_user else ())),
                          target=("--unit", f"{SystemdComposition().prefix}{name}.service"), lines_option="--lines",
                          follow_option="--follow", component="systemd")
    if process_manager == "launchd":
        raise LogsError(f"launchd keeps no output of '{name}' unless its plist sets StandardOutPath "
                        f"(overrides.launchd.StandardOutPath); read that file")
    raise LogsError(f"Unknown process manager: {process_manager}")


def _supervisord_stdout(name: str, supervisord: SupervisordLogs) -> str:
    """The program's ``stdout_logfile``, or the pattern of the ``AUTO`` file supervisord makes in ``childlogdir``."""
    setting = supervisord.stdout_logfile
    if setting.upper() in ("NONE", "OFF"):
        raise LogsError(f"supervisord discards the output of '{name}' (stdout_logfile={setting})")
    if setting.upper() != "AUTO":
        return glob.escape(setting)
    prefix = glob.escape(f"{supervisord.child_log_dir}/{name}-stdout---{supervisord.identifier}-")
    return f"{prefix}*.log"


def supervisord_logs(conf_dir: str | None, name: str) -> SupervisordLogs:
    """Read ``childlogdir``, ``identifier`` and the program's ``stdout_logfile`` from supervisord's configuration.

    ``conf_dir`` holds ``supervisord.conf`` (``SUPERVISORD_CONF_DIR``), whose
    ``[include]`` files hold the ``[program:…]`` sections; supervisor's
    ``%(here)s``, ``%(program_name)s`` and ``%(ENV_…)s`` are expanded. Without
    a configuration, supervisord's defaults (its temp directory) apply.
    """
    main = os.path.join(conf_dir, "supervisord.conf") if conf_dir else None
    daemon = _read_config(main) if main else configparser.RawConfigParser()
    here = os.path.dirname(main) if main else ""
    child_log_dir = daemon.get("supervisord", "childlogdir", fallback=None)
    identifier = daemon.get("supervisord", "identifier", fallback="supervisor")
    stdout_logfile = "AUTO"
    for pattern in daemon.get("include", "files", fallback="").split():
        for path in sorted(glob.glob(os.path.join(here, pattern))):
            program = _read_config(path)
            if program.has_option(f"program:{name}", "stdout_logfile"):
                stdout_logfile = _expand(program.get(f"program:{name}", "stdout_logfile"), here=os.path.dirname(path),
                                         program_name=name, group_name=name, process_num=0, numprocs=1,
                                         host_node_name=platform.node())
    return SupervisordLogs(
        child_log_dir=_expand(child_log_dir, here=here) if child_log_dir else tempfile.gettempdir(),
        identifier=_expand(identifier, here=here),
        stdout_logfile=stdout_logfile,
    )


def _read_config(path: str) -> configparser.RawConfigParser:
    """A supervisor configuration file as supervisor's parser reads it (``;``/``#`` comments, duplicates allowed)."""
    parser = configparser.RawConfigParser(inline_comment_prefixes=(";", "#"), strict=False)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as error:
        raise LogsError(f"cannot read supervisord's configuration '{path}': {error}") from None
    return parser


def _expand(value: str, **names: object) -> str:
    """supervisor's ``%(name)s`` expansion, with ``ENV_<variable>`` for the environment."""
    try:
        return value % {**{f"ENV_{key}": item for key, item in os.environ.items()}, **names}
    except (KeyError, ValueError, TypeError) as error:
        raise LogsError(f"supervisord's configuration value '{value}' cannot be expanded: {error}") from None


def find_log_file(source: LogFiles, name: str) -> str:
    """The newest existing file of ``source``; the error names every place looked at."""
    found = [path for pattern in source.patterns for path in glob.glob(pattern) if os.path.isfile(path)]
    if not found:
        places = ", ".join(_shown(pattern) for pattern in source.patterns)
        raise LogsError(f"no output of '{name}' found: looked for {places}")
    return max(found, key=_modified)


def _shown(pattern: str) -> str:
    """A pattern as a user reads it: what ``glob.escape`` bracketed, bare again."""
    return pattern.replace("[*]", "*").replace("[?]", "?").replace("[[]", "[")


def _modified(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return float("-inf")


def last_lines(path: str, count: int) -> tuple[bytes, int]:
    """The last ``count`` lines of ``path`` (as ``tail -n``), and the offset reading stopped at.

    Blocks are read backwards from the end until they hold more than
    ``count`` line ends, so a long file costs no more than its tail.
    """
    blocks: list[bytes] = []
    try:
        with open(path, "rb") as handle:
            end = position = handle.seek(0, os.SEEK_END)
            newlines = 0
            while count and position > 0 and newlines <= count:
                step = min(65536, position)
                position -= step
                handle.seek(position)
                blocks.append(handle.read(step))
                newlines += blocks[-1].count(b"\n")
    except OSError as error:
        raise LogsError(f"cannot read '{path}': {error.strerror}") from None
    data = b"".join(reversed(blocks))
    if not data:
        return b"", end
    complete = data.endswith(b"\n")
    lines = (data[:-1] if complete else data).split(b"\n")
    return b"\n".join(lines[-count:]) + (b"\n" if complete else b""), end


def follow_log(source: LogFiles, name: str, path: str, offset: int,
               interval: float = POLL_INTERVAL) -> Iterator[bytes]:
    """What is written to the output from ``offset`` of ``path`` on, forever.

    When the newest file of ``source`` is another one (s6-log rotated
    ``current``, supervisord started a new ``AUTO`` file) or the file was
    truncated, the rest of the old one is read and reading goes on from the
    start of the new one.
    """
    handle = _open(path)
    handle.seek(offset)
    try:
        while True:
            chunk = handle.read(65536)
            if chunk:
                yield chunk
                continue
            time.sleep(interval)
            try:
                newest = find_log_file(source, name)
                replaced = newest != path or os.stat(newest).st_ino != os.fstat(handle.fileno()).st_ino
            except (LogsError, OSError):
                continue
            if replaced:
                rest = handle.read()
                if rest:
                    yield rest
                handle.close()
                path, handle = newest, _open(newest)
            elif os.fstat(handle.fileno()).st_size < handle.tell():
                handle.seek(0)
    finally:
        handle.close()


def _open(path: str) -> BinaryIO:
    try:
        return open(path, "rb")
    except OSError as error:
        raise LogsError(f"cannot read '{path}': {error.strerror}") from None


def command_output(command: LogCommand, name: str, lines: int, follow: bool) -> Iterator[bytes]:
    """Run ``command`` and pass on its output; its errors go to standard error as they are.

    The program must be installed and its doctor checks pass (journalctl
    reads nothing where systemd is not running); a failing run is an error
    naming the command.
    """
    from nixproc_disnix.doctor import find_component

    component = find_component(command.component)
    argv = command.argv(lines, follow)
    if shutil.which(argv[0]) is None:
        raise LogsError(f"cannot read the output of '{name}': {argv[0]} is not installed ({component.install})")
    for check in component.checks:
        status = check()
        if not status.ok:
            raise LogsError(f"cannot read the output of '{name}' with {argv[0]}: {status.detail}")
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE) as process:
        assert process.stdout is not None
        try:
            while chunk := os.read(process.stdout.fileno(), 65536):
                yield chunk
        finally:
            if process.poll() is None:
                process.terminate()
        status = process.wait()
    if status != 0:
        raise LogsError(f"{' '.join(argv)} failed (exit status {status})")


@dataclass(frozen=True)
class LogRequest:
    """``nixproc logs``: whose output, from which manager, how much; the settings that say where it is."""

    name: str
    process_manager: str
    state_dirs: StateDirs = field(default_factory=StateDirs)
    supervisord_conf_dir: str | None = None
    systemd_user: bool = False
    lines: int = DEFAULT_LINES
    follow: bool = False

    def settings(self) -> LogSettings:
        """The log settings; supervisord's configuration is read only when supervisord runs the process."""
        supervisord = supervisord_logs(self.supervisord_conf_dir if self.process_manager == "supervisord" else None,
                                       self.name)
        return LogSettings(backend=self.state_dirs.backend_settings(), supervisord=supervisord,
                           systemd_user=self.systemd_user)


def read_log(request: LogRequest) -> Iterator[bytes]:
    """The process's last ``lines`` lines, then, with ``follow``, what it writes next, until closed."""
    source = locate_log(request.process_manager, request.name, request.settings())
    if isinstance(source, LogCommand):
        yield from command_output(source, request.name, request.lines, request.follow)
        return
    path = find_log_file(source, request.name)
    text, offset = last_lines(path, request.lines)
    if text:
        yield text
    if request.follow:
        yield from follow_log(source, request.name, path, offset)
