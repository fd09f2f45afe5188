"""The foreground proxy: one script that lets a supervising manager run any process (SPEC §2.4).

supervisord, launchd, cygrunsrv and docker supervise a process that stays in
the foreground, and have nowhere to run ``initialize`` first. The proxy
``<name>-foregroundproxy.sh`` fills both gaps: it runs ``initialize``, then

- for a foreground process (``wrap_daemon=False``) replaces itself with the
  process (through ``nixproc-chainload-user`` when a user applies), so the
  manager supervises the process itself;
- for a daemon (``wrap_daemon=True``) starts it, waits for its PID file, and
  stays in the foreground until that PID ends, passing TERM and INT on, so
  the manager can supervise and stop a process that forks away.

The script goes into the backend's own output (``bin/<name>-foregroundproxy.sh``)
and is named by the output's path (:func:`~nixproc_disnix.backends.common.output.in_output`).

Differences from upstream, each what a user would expect:

- every value in the script is a quoted shell word (upstream interpolates
  the executable, user, ``nice``, ``directory``, ``umask`` and PID file bare);
- ``directory`` and ``umask`` are applied in both modes (upstream drops them
  without ``wrap_daemon``, which is why cygrunsrv ignores them);
- ``nice`` comes before the user switch, so a negative level can still be
  set for an unprivileged process.
"""
from __future__ import annotations

import os
import sys
import sysconfig
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nixproc_disnix.backends.common.mode import Invocation, Mode, choose_invocation
from nixproc_disnix.backends.common.output import GeneratedFile, in_output
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.common.templates import shell_word, template_environment
from nixproc_disnix.errors import EvalError
from nixproc_disnix.model.nix_json import to_string
from nixproc_disnix.model.process import ManagedProcess, Scalar

_TEMPLATES = template_environment("nixproc_disnix.backends.common")

CHAINLOAD_USER = os.path.join(sysconfig.get_path("scripts"), "nixproc-chainload-user")
"""Where this installation's ``nixproc-chainload-user`` console script lives."""

PID_FILE_ATTEMPTS = 10
"""How often the proxy looks for a daemon's PID file, one second apart, before it gives up."""


def _blocker(platform: str) -> str:
    """The command that ends when ``$pid`` ends; upstream picks it by the build platform."""
    if platform.startswith(("linux", "cygwin")):
        return 'tail --pid="$pid" -f /dev/null'
    if platform == "darwin":
        return 'lsof -p "$pid" +r 3 >/dev/null 2>&1'
    if platform.startswith(("freebsd", "openbsd", "netbsd", "dragonfly", "sunos")):
        return 'pwait "$pid"'
    raise EvalError(f"Don't know how to wait for process completion on system: {platform}")


@dataclass(frozen=True)
class ProxyTools:
    """The machine the proxy runs on: its shell, the user switcher, and how to wait for a PID."""

    shell: str = "/bin/bash"
    chainload_user: str = CHAINLOAD_USER
    platform: str = sys.platform


class ForegroundProxyParams(BaseModel):
    """generateForegroundProxy's parameters, plus the arguments the proxy is invoked with.

    ``user`` is the *effective* user (callers apply ``forceDisableUserChange``
    first). Without ``pid_file`` a daemon's PID file is
    ``<runtime_dir>/<instance_name>.pid``, or, without an instance name,
    ``<runtime_dir>/<basename of executable>.pid`` worked out when the proxy runs.
    """

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    name: str
    executable: str
    args: list[Scalar] = Field(default_factory=list)
    initialize: str = ""
    wrap_daemon: bool
    runtime_dir: str
    instance_name: str | None = None
    pid_file: str | None = None
    user: str | None = None
    nice: str | int | None = None
    directory: str | None = None
    umask: str | int | None = None


@dataclass(frozen=True)
class ForegroundProxy:
    """The proxy script, where it goes in the output, and how to invoke it.

    ``argv`` is the executable (the script's absolute path once the output is
    written) followed by the process's arguments, stringified as Nix's
    ``toString`` does; ``command_line`` is the same as one line of quoted shell words.
    """

    path: str
    script: GeneratedFile
    argv: list[str]

    @property
    def executable(self) -> str:
        return self.argv[0]

    @property
    def command_line(self) -> str:
        return " ".join(shell_word(word) for word in self.argv)


def foreground_proxy(params: ForegroundProxyParams, tools: ProxyTools = ProxyTools()) -> ForegroundProxy:
    """The ``<name>-foregroundproxy.sh`` of ``params``, ready to be added to a backend's files."""
    if not params.name or "/" in params.name or "\n" in params.name:
        raise EvalError(f"process name {params.name!r} cannot name a foreground proxy script")
    launch = " ".join(
        (["nice", "-n", shell_word(params.nice)] if params.nice is not None else [])
        + ([shell_word(tools.chainload_user), shell_word(params.user)] if params.user is not None else [])
        + [shell_word(params.executable)]
    )
    script = _TEMPLATES.get_template("foreground-proxy.sh.j2").render(
        shell=tools.shell,
        initialize=params.initialize,
        directory=params.directory,
        umask=params.umask,
        wrap_daemon=params.wrap_daemon,
        launch=launch,
        pid_file=_pid_file_word(params),
        pid_file_attempts=PID_FILE_ATTEMPTS,
        blocker=_blocker(tools.platform) if params.wrap_daemon else "",
    )
    path = f"bin/{params.name}-foregroundproxy.sh"
    return ForegroundProxy(
        path=path,
        script=GeneratedFile(script, executable=True),
        argv=[in_output(path), *(to_string(arg) for arg in params.args)],
    )


def _pid_file_word(params: ForegroundProxyParams) -> str:
    """The shell word assigned to ``pid_file``: a fixed path, or one derived from the executable at run time."""
    if params.pid_file is not None:
        return shell_word(params.pid_file)
    if params.instance_name is not None:
        return shell_word(f"{params.runtime_dir}/{params.instance_name}.pid")
    return f'{shell_word(params.runtime_dir)}/"$(basename {shell_word(params.executable)})".pid'


def foreground_invocation(process: ManagedProcess, manager: str) -> Invocation:
    """What a manager that supervises foreground processes starts: the foreground process, else the daemon."""
    chosen = choose_invocation(process, Mode.FOREGROUND)
    if chosen is None:
        raise EvalError(f"process '{process.name}' has neither a foreground process nor a daemon for {manager} to run")
    return chosen


def invocation_proxy(
    name: str, chosen: Invocation, process: ManagedProcess, settings: BackendSettings, tools: ProxyTools,
    **options: Any,
) -> ForegroundProxy:
    """The proxy starting ``chosen`` for ``process``; ``options`` are the backend's own choices
    (``instance_name``, ``user``, ``nice``, ``directory``, ``umask``, another ``initialize``)."""
    return foreground_proxy(
        ForegroundProxyParams(
            name=name,
            executable=chosen.executable,
            args=chosen.args,
            initialize=options.pop("initialize", process.initialize),
            wrap_daemon=chosen.is_daemon,
            runtime_dir=settings.runtime_dir,
            pid_file=process.pid_file,
            **options,
        ),
        tools,
    )
