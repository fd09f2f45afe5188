"""The bsdrc backend's generator: a managed process → an rc.subr script in ``etc/rc.d`` (SPEC §3.2).

As upstream, :func:`generate` maps createManagedProcess's parameters onto
createBSDRCScript's (daemon mode preferred; a foreground-only process is
daemonized with FreeBSD's ``daemon(8)``; ``initialize`` becomes the start
command's ``pre`` hook), lets ``overrides.bsdrc`` have the last word, and
:func:`create_bsdrc_script` writes the script, its environment file
(``share/bsdrc/<name>-envfile``, sourced by rc.subr through
``<name>_env_file``; upstream makes it a store path of its own) and
dysnomia-support.

rc.subr does not just read some variables, it evaluates them again: it
builds the start command as a string, ``cd $<name>_chdir && … $command
$command_args``, and ``eval``\\ s it, wrapped in ``sh -c "…"`` when a nice
level is set and in ``su -m $<name>_user -c 'sh -c "…"'`` when a user is. So
``command_args`` holds shell words quoted for as many evaluations as the
script's own settings make rc.subr perform (one, two with a nice level,
three with a user), and ``pidfile``, ``<name>_chdir`` and ``<name>_user`` are
quoted for their one evaluation; hostile arguments then reach the process
exactly. Overriding ``<name>_user`` or ``<name>_nice`` in ``rc.conf`` changes
that count; that is rc.subr's design, as for any rc script.

Differences from upstream, each what a user would expect:

- every value in the script is quoted; upstream writes ``command_args`` as
  ``"<escapeShellArgs>"``, which expands ``$``/backticks in the arguments
  while the script is sourced, and interpolates paths and users bare;
- ``rcvarsDefaults`` render as ``: "${<name>_<var>:=<default>}"`` (upstream's
  rendering fails to evaluate);
- a daemonized foreground process gets ``daemon -p <auto PID file>``
  (upstream passes only an explicit ``pidFile``), ``daemon`` by its path
  (rc.subr checks ``command`` with ``test -x``) and ``procname`` naming the
  real executable, so rc.subr finds the process it started;
- under ``forceDisableUserChange`` upstream points at a copy of rc.subr
  without the ``limits`` call; here that is the composition's ``rc_subr``;
- a name, command or hook name rc.subr cannot use (not a shell identifier,
  an executable path with shell syntax in it) is refused, naming the process.
"""
from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from nixproc_disnix.backends.common.backend import Dependency, Generated
from nixproc_disnix.backends.common.credentials import dysnomia_support_files
from nixproc_disnix.backends.common.mode import Mode, choose_invocation
from nixproc_disnix.backends.common.output import GeneratedFile, in_output
from nixproc_disnix.backends.common.overrides import apply_overrides
from nixproc_disnix.backends.common.readiness import wait_ready_argv
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.common.templates import template_environment
from nixproc_disnix.backends.common.util import (
    auto_pid_file,
    check_shell_variable_names,
    compose_path,
    daemon_log_file,
    determine_user,
    escape_shell_arg,
    pid_files_dir,
)
from nixproc_disnix.errors import EvalError, ThrownError
from nixproc_disnix.model.credentials import Credentials
from nixproc_disnix.model.nix_json import attr_names, to_string
from nixproc_disnix.model.process import NO_NAME_MESSAGE, ManagedProcess, Scalar
from nixproc_disnix.model.validation import validate_as

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SUFFIX = re.compile(r"[A-Za-z0-9_]+")
_SIGNAL = re.compile(r"[A-Za-z0-9]+")
_NICE = re.compile(r"[+-]?[0-9]+")

HOOKS = (("pre", "precmd", "pre"), ("implementation", "cmd", ""), ("post", "postcmd", "post"))
"""A command's parts: parameter, rc.subr's variable suffix, and the prefix of the shell function's name."""


def double_quoted(value: Scalar) -> str:
    """``value`` as one double-quoted shell word (``\\``, ``"``, ``$`` and backticks escaped)."""
    return f'"{_double_quoted_inner(to_string(value))}"'


def _double_quoted_inner(text: str) -> str:
    return "".join("\\" + char if char in '\\"$`' else char for char in text)


_TEMPLATES = template_environment(__package__)
_TEMPLATES.filters["dq"] = double_quoted
_TEMPLATES.filters["dq_inner"] = lambda value: _double_quoted_inner(to_string(value))


@dataclass(frozen=True)
class BSDRCComposition:
    """createBSDRCScript's composition: the machine's rc.subr and daemonizer.

    ``builtin_commands`` are the commands rc.subr implements itself; other
    commands a script defines are announced in ``extra_commands``.
    ``wait_ready`` is ``nixproc-wait-ready``, which ``start_postcmd`` runs for
    a ``readiness`` check (None: the settings').
    """

    rc_subr: str = "/etc/rc.subr"
    builtin_commands: tuple[str, ...] = ("start", "stop", "reload", "restart", "status", "poll", "rcvar")
    default_reload_signal: str = "HUP"
    default_stop_signal: str = "TERM"
    daemon: str = "/usr/sbin/daemon"
    wait_ready: str | None = None


class Command(BaseModel):
    """An rc command's shell: run before it (``pre``), instead of rc.subr's own (``implementation``), after it."""

    model_config = ConfigDict(strict=True, extra="forbid")

    pre: str | None = None
    implementation: str | None = None
    post: str | None = None


class BSDRCScriptParams(BaseModel):
    """createBSDRCScript's parameters; an unknown one is refused, as Nix refuses an unexpected argument."""

    model_config = ConfigDict(
        strict=True, extra="forbid", alias_generator=to_camel, populate_by_name=True, arbitrary_types_allowed=True
    )

    name: str | None = None
    instance_name: str | None = None
    rcvar: str | None = "enabled"
    rcvars_defaults: dict[str, Scalar] = Field(default_factory=dict)
    command: str | None = None
    command_args: list[Scalar] = Field(default_factory=list)
    command_is_daemon: bool = True
    enable_daemon_output_logging: bool = True
    reload_signal: str = "HUP"
    stop_signal: str = "TERM"
    environment: dict[str, Scalar] = Field(default_factory=dict)
    path: list[str] = Field(default_factory=list)
    pid_file: str | None = None
    nice: str | int | None = None
    umask: str | int | None = None
    directory: str | None = None
    user: str | None = None
    fib: str | int | None = None
    limits: str | None = None
    login_class: str | None = None
    oom_protect: str | None = None
    required_files: list[str] = Field(default_factory=list)
    required_dirs: list[str] = Field(default_factory=list)
    required_vars: list[str] = Field(default_factory=list)
    required_modules: list[str] = Field(default_factory=list)
    commands: dict[str, Command] = Field(default_factory=dict)
    flexible_parameters: bool = False
    requires: list[str] = Field(default_factory=list)
    provides: list[str] | None = None
    keywords: list[str] = Field(default_factory=list)
    dependencies: list[Dependency] = Field(default_factory=list)
    credentials: Credentials = Field(default_factory=Credentials)
    post_install: str = ""


def generate(
    process: ManagedProcess, settings: BackendSettings, composition: BSDRCComposition = BSDRCComposition()
) -> Generated:
    """The bsdrc output of ``process``: ``etc/rc.d/<name>``, its environment file and dysnomia-support.

    ``process.dependencies`` are :class:`Dependency` values (their ``name``
    goes on the ``REQUIRE`` line); ``process.overrides`` is the bsdrc part.
    """
    return _created(bsdrc_params(process, composition.wait_ready or settings.wait_ready), settings, composition)


def create(
    params: Mapping[str, Any], settings: BackendSettings, composition: BSDRCComposition = BSDRCComposition()
) -> Generated:
    """createBSDRCScript called directly with its own parameters."""
    return _created(validate_as(BSDRCScriptParams, params, "createBSDRCScript"), settings, composition)


def bsdrc_params(process: ManagedProcess, wait_ready: str | None = None) -> BSDRCScriptParams:
    """createBSDRCScript's parameters for ``process``, overrides applied.

    A ``readiness`` check becomes ``start``'s ``post`` command, which rc.subr
    runs once the start succeeded, so ``service <name> start`` returns when
    the process is ready and fails when it is not; a ``logLine`` check is left
    to the switch (the daemonizer's output is not this script's to read).
    """
    chosen = choose_invocation(process, Mode.DAEMON)
    generated: dict[str, Any] = {
        "name": process.name,
        "environment": process.environment,
        "path": process.path,
        "directory": process.directory,
        "nice": process.nice,
        "umask": process.umask,
        "dependencies": process.dependencies,
        "user": process.user,
        "instanceName": process.instance_name,
        "credentials": process.credentials.model_dump(by_alias=True, exclude_unset=True),
        "postInstall": process.post_install,
        "command": None if chosen is None else chosen.executable,
        "commandIsDaemon": chosen is None or chosen.is_daemon,
        "commandArgs": [] if chosen is None else chosen.args,
    }
    if process.pid_file is not None:
        generated["pidFile"] = process.pid_file
    start: dict[str, str] = {}
    if process.initialize:
        start["pre"] = process.initialize
    ready = wait_ready_argv(process.readiness, process.name, wait_ready) if process.readiness is not None else None
    if ready is not None:
        start["post"] = " ".join(map(escape_shell_arg, ready))
    if start:
        generated["commands"] = {"start": start}
    arguments = apply_overrides(generated, process.overrides)
    return validate_as(BSDRCScriptParams, arguments, f"bsdrc parameters of process '{process.name}'")


def env_file(name: str) -> str:
    """Where the environment file of script ``name`` goes in the output."""
    return f"share/bsdrc/{name}-envfile"


def create_bsdrc_script(
    params: BSDRCScriptParams, settings: BackendSettings, composition: BSDRCComposition = BSDRCComposition()
) -> dict[str, GeneratedFile]:
    """createBSDRCScript: ``etc/rc.d/<name>`` (executable), its environment file, dysnomia-support."""
    name = _script_name(params)
    if params.command is None and not {"start", "stop"} <= params.commands.keys():
        raise EvalError(f"bsdrc script '{name}' has no command, so its commands must define start and stop")
    for variable in (*params.rcvars_defaults, *params.commands):
        if not _SUFFIX.fullmatch(variable):
            raise EvalError(f"{variable!r} of bsdrc script '{name}' cannot be part of a shell variable name")
    for suffix in ((params.rcvar,) if params.rcvar is not None else ()):
        if not _SUFFIX.fullmatch(suffix):
            raise EvalError(f"rcvar {suffix!r} of bsdrc script '{name}' cannot be part of a shell variable name")
    check_shell_variable_names(params.environment, name)

    user = determine_user(params.user, settings.force_disable_user_change)
    pid_file = auto_pid_file(
        params.pid_file, params.instance_name, pid_files_dir(params.user, settings.runtime_dir, settings.tmp_dir)
    )
    command, procname, args = _command(params, name, pid_file, user, settings, composition)

    rc_variables: list[tuple[str, str]] = []
    if params.nice is not None:
        rc_variables.append(("nice", _checked(to_string(params.nice), _NICE, "nice level", name)))
    if params.directory is not None:
        rc_variables.append(("chdir", _assigned(shlex.quote(params.directory))))
    if user is not None:
        rc_variables.append(("user", _assigned(shlex.quote(user))))
    if params.environment:
        rc_variables.append(("env_file", _assigned(in_output(env_file(name)))))
    for variable, value in (
        ("fib", params.fib),
        ("limits", params.limits),
        ("login_class", params.login_class),
        ("oomprotect", params.oom_protect),
    ):
        if value is not None:
            rc_variables.append((variable, _assigned(to_string(value))))

    command_names = attr_names(params.commands)
    script = _TEMPLATES.get_template("rc-script.sh.j2").render(
        provides=[name] if params.provides is None else params.provides,
        requires=[dependency.name for dependency in params.dependencies] + params.requires,
        keywords=params.keywords,
        rc_subr=composition.rc_subr,
        name=name,
        rcvar=params.rcvar,
        rcvars_defaults=[(var, params.rcvars_defaults[var]) for var in attr_names(params.rcvars_defaults)],
        umask=params.umask,
        command=command,
        procname=procname,
        command_args=_evaluated_args(args, user, params.nice),
        required=[
            ("required_dirs", params.required_dirs),
            ("required_files", params.required_files),
            ("required_vars", params.required_vars),
            ("required_modules", params.required_modules),
        ],
        pid_file=None if pid_file is None else shlex.quote(pid_file),
        reload_signal=_signal(params.reload_signal, composition.default_reload_signal, name),
        stop_signal=_signal(params.stop_signal, composition.default_stop_signal, name),
        rc_variables=rc_variables,
        extra_commands=[command for command in command_names if command not in composition.builtin_commands],
        hooks=[
            (command_name, variable, function + command_name)
            for command_name in command_names
            for part, variable, function in HOOKS
            if getattr(params.commands[command_name], part) is not None
        ],
        path=compose_path(params.path) if params.path else None,
        functions=[
            (function + command_name, _function_body(getattr(params.commands[command_name], part)))
            for command_name in command_names
            for part, _, function in HOOKS
            if getattr(params.commands[command_name], part) is not None
        ],
        flexible_parameters=params.flexible_parameters,
    )
    output: dict[str, GeneratedFile] = {f"etc/rc.d/{name}": GeneratedFile(script, executable=True)}
    if params.environment:
        environment = params.environment
        output[env_file(name)] = GeneratedFile(
            "".join(f"{variable}={escape_shell_arg(environment[variable])}\n" for variable in attr_names(environment))
        )
    for relative, content in dysnomia_support_files(
        params.credentials, settings.ids, settings.force_disable_user_change
    ).items():
        output[f"dysnomia-support/{relative}"] = GeneratedFile(content)
    return output


def _created(params: BSDRCScriptParams, settings: BackendSettings, composition: BSDRCComposition) -> Generated:
    """The script output under its name, which dependents put on their ``REQUIRE`` line."""
    return Generated(
        name=_script_name(params),
        files=create_bsdrc_script(params, settings, composition),
        post_install=params.post_install,
    )


def _script_name(params: BSDRCScriptParams) -> str:
    """``name``, defaulting to ``instanceName``; rc.subr builds variable names from it, so it must be an identifier."""
    name = params.name if "name" in params.model_fields_set else params.instance_name
    if name is None:
        raise ThrownError(NO_NAME_MESSAGE)
    if not _IDENTIFIER.fullmatch(name):
        raise EvalError(f"process name {name!r} cannot name a bsdrc script: rc.subr needs a shell identifier")
    return name


def _command(
    params: BSDRCScriptParams,
    name: str,
    pid_file: str | None,
    user: str | None,
    settings: BackendSettings,
    composition: BSDRCComposition,
) -> tuple[str | None, str | None, list[Scalar]]:
    """``command``, ``procname`` (only when daemonized) and the argument list rc.subr starts.

    rc.subr tests ``command`` with ``test -x`` and evaluates it inside the
    start command, so it must be a path without shell syntax.
    """
    if params.command is None:
        return None, None, []
    for executable in (params.command, composition.daemon):
        if shlex.quote(executable) != executable:
            raise EvalError(f"command {executable!r} of bsdrc script '{name}' cannot be evaluated by rc.subr unchanged")
    if params.command_is_daemon:
        return params.command, None, list(params.command_args)
    log_file = daemon_log_file(
        name=name,
        instance_name=params.instance_name,
        log_dir=settings.log_dir,
        tmp_dir=settings.tmp_dir,
        user=user,
        enabled=params.enable_daemon_output_logging,
    )
    options: list[Scalar] = []
    if pid_file is not None:
        options += ["-p", pid_file]
    if log_file is not None:
        options += ["-o", log_file]
    return composition.daemon, params.command, [*options, params.command, *params.command_args]


def _evaluated_args(args: list[Scalar], user: str | None, nice: str | int | None) -> str:
    """``command_args`` quoted for each evaluation rc.subr's start applies (see the module docstring).

    An argument of plain characters is written ``'arg'`` as upstream does:
    that text yields the argument after one, two or three evaluations alike.
    Any other argument is quoted for one evaluation, then escaped for the
    double quotes of ``sh -c "…"`` (nice level or user) and the single quotes
    of ``su -c '…'`` (user).
    """
    words = []
    for arg in map(to_string, args):
        word = escape_shell_arg(arg)
        if not arg or shlex.quote(arg) != arg:
            if user is not None or nice is not None:
                word = _double_quoted_inner(word)
            if user is not None:
                word = word.replace("'", "'\\''")
        words.append(word)
    return " ".join(words)


def _assigned(value: str) -> str:
    """A value as the right-hand side of a shell assignment: bare when plain, else double-quoted."""
    return value if shlex.quote(value) == value else double_quoted(value)


def _signal(signal: str, default: str, name: str) -> str | None:
    """The signal setting, only when it differs from rc.subr's default."""
    return None if signal == default else _checked(signal, _SIGNAL, "signal", name)


def _checked(value: str, pattern: re.Pattern[str], what: str, name: str) -> str:
    if not pattern.fullmatch(value):
        raise EvalError(f"{what} {value!r} of bsdrc script '{name}' is not one rc.subr can use")
    return value


def _function_body(code: str) -> str:
    """A hook's shell as a function body; an empty one still needs a command."""
    return code.rstrip("\n") if code.strip() else ":"
