"""The s6-rc backend's generator: a managed process → s6-rc source definition directories (SPEC §3.9).

s6-rc has no single create function. Its native functions, each with a
pydantic model of its parameters and each returning a :class:`Generated`,
are :func:`create_long_run_service`, :func:`create_one_shot_service`,
:func:`create_service_bundle` and :func:`create_log_service_for_long_run_service`;
:func:`create`, the registry's entry point, dispatches on a ``type`` key
(``longrun``, the default, ``oneshot`` or ``bundle``) that is not passed on.
Their camelCase parameters become the files of ``etc/s6/sv/<service>/`` as
upstream writes them (``dependencies``, ``contents`` and ``consumer-for`` as
one service name per line). ``run``, ``finish``, ``up`` and ``down`` are the
scripts' contents; ``data`` and ``env`` map file names to contents.

:func:`generate` (upstream's generateS6RCService) runs a foreground process
as a longrun (``run`` = the prelude, then ``exec`` into the process) and a
daemon-only process as a oneshot (``up`` the same, ``down`` kills the PID
file's process), after ``overrides.s6-rc`` applied to the generated
arguments. The prelude's environment file and initialize script are
``share/s6-rc/<name>-envfile`` and ``libexec/s6-rc/<name>-initialize`` in the
output (upstream makes them store paths of their own), each written only
while a script still refers to it after the overrides. A longrun is logged
by default: it is named ``<name>-srv``, produces for ``<name>-log`` (beside
it in ``etc/s6/sv``), and s6-rc makes the pipeline bundle ``<name>``.

Differences from upstream, each what a user would expect:

- every value in a script is quoted for execline's lexer and every
  environment value for envfile (upstream escapes only ``"`` in arguments and
  writes paths, users and environment values bare);
- the oneshot's ``down`` reads the automatic PID file (upstream's uses the
  raw ``pidFile`` and fails without one); without any PID file there is no
  ``down``;
- execline's and s6's programs are named by their paths in the scripts
  (upstream relies on the supervision tree's ``PATH``; but even after
  ``envfile`` has set ``PATH``, the program it executes next is looked up in
  the old one); ``nice``, ``mkdir``, ``chown``, ``cat`` and ``kill`` are
  looked up as upstream does;
- the log service's files are written into this output, not linked from an
  output of their own;
- a name s6-rc or the store cannot use (a character outside store path
  names, a leading dot, the reserved ``s6rc-``/``s6-rc-`` prefixes) is
  refused, naming the service.

``readiness`` (ours, not upstream's) makes a longrun notify s6 of its
readiness: its ``run`` starts with ``s6-notifyoncheck``, which polls
``data/check`` (``nixproc-wait-ready --once``) every ``interval`` until the
check passes or ``timeout`` has passed, and writes to ``notification-fd``;
``timeout-up`` lets s6-rc give up a little after the check did. So
``s6-svc -uwU`` and ``s6-rc -u change`` return once the process is ready.
A ``logLine`` check reads the log service's ``current`` file. A oneshot
(a daemon) has no such hook: its readiness is left to the switch.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from nixproc_disnix.backends.common.backend import Dependency, Generated
from nixproc_disnix.backends.common.credentials import dysnomia_support_files
from nixproc_disnix.backends.common.mode import Invocation, Mode, choose_invocation
from nixproc_disnix.backends.common.output import GeneratedFile, in_output
from nixproc_disnix.backends.common.overrides import apply_overrides
from nixproc_disnix.backends.common.prestart import prestart_script
from nixproc_disnix.backends.common.readiness import wait_ready_argv
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.common.templates import template_environment
from nixproc_disnix.backends.common.util import (
    append_path_to_environment,
    auto_pid_file,
    check_shell_variable_names,
    determine_user,
    pid_files_dir,
)
from nixproc_disnix.backends.s6_rc import execline
from nixproc_disnix.errors import EvalError, ThrownError
from nixproc_disnix.model.credentials import Credentials
from nixproc_disnix.model.nix_json import attr_names, to_string
from nixproc_disnix.model.process import ManagedProcess
from nixproc_disnix.model.validation import validate_as
from nixproc_disnix.store.paths import check_store_path_name

NO_INVOCATION_MESSAGE = "No foreground process or daemon known!"

LOG_NOTIFICATION_FD = 3
"""The descriptor s6-log signals readiness on (``s6-log -d3``)."""

READINESS_NOTIFICATION_FD = 3
"""The descriptor ``s6-notifyoncheck`` signals a longrun's readiness on."""

READINESS_CHECK = "check"
"""The ``data/`` file ``s6-notifyoncheck`` runs for one attempt of the readiness check."""

_TEMPLATES = template_environment(__package__)
_TEMPLATES.filters["word"] = execline.word
_TEMPLATES.filters["string"] = lambda value: execline.string(to_string(value))

_STORE_PATH_NAME = re.compile(r"/(?:[^/]+/)*[0-9a-df-np-sv-z]{32}-([^/]+)")
"""A store path ``<store>/<hash>-<name>``; a service's output is named after the service."""

ServiceRef = Dependency | str
"""Another service: a generated output (its ``name``), the store path of one, or a service name."""

_PARAMS = ConfigDict(
    strict=True, extra="forbid", alias_generator=to_camel, populate_by_name=True, arbitrary_types_allowed=True
)


@dataclass(frozen=True)
class S6RCComposition:
    """The s6-rc functions' composition: where execline and s6 are, and the log directories' owner.

    The defaults are Debian's layout (execline's programs in
    ``/usr/lib/execline/bin``, s6's in ``/usr/bin``); the framework passes
    the packages' store paths. ``base_packages`` go on ``PATH`` first
    (coreutils, gnused, gnugrep, inetutils upstream); ``shell`` runs the
    initialize script; ``wait_ready`` is ``nixproc-wait-ready``, the readiness check (None: the settings').
    """

    execline: str = "/usr/lib/execline"
    s6: str = "/usr"
    base_packages: tuple[str, ...] = ()
    shell: str = "/bin/bash"
    log_dir_user: str = "s6-log"
    log_dir_group: str = "s6-log"
    wait_ready: str | None = None

    @property
    def programs(self) -> dict[str, str]:
        """The scripts' execline and s6 programs by name, each with its path."""
        return {
            **{
                program: f"{self.execline}/bin/{program}"
                for program in ("execlineb", "envfile", "foreground", "execline-umask", "execline-cd", "fdmove", "exec",
                                "backtick", "importas")
            },
            **{program: f"{self.s6}/bin/{program}" for program in ("s6-setuidgid", "s6-log", "s6-notifyoncheck")},
        }


class LongRunServiceParams(BaseModel):
    """createLongRunService's parameters."""

    model_config = _PARAMS

    name: str
    flag_essential: bool = False
    run: str
    finish: str | None = None
    dependencies: list[ServiceRef] = Field(default_factory=list)
    notification_fd: int | None = None
    timeout_kill: int | None = None
    timeout_finish: int | None = None
    timeout_up: int | None = None
    nosetsid: bool = False
    max_death_tally: int | None = None
    down_signal: str | None = None
    data: dict[str, str] | None = None
    env: dict[str, str] | None = None
    producer_for: ServiceRef | None = None
    consumer_for: list[ServiceRef] = Field(default_factory=list)
    pipeline_name: str | None = None
    auto_generate_log_service: bool = True
    credentials: Credentials = Field(default_factory=Credentials)
    post_install: str = ""


class OneShotServiceParams(BaseModel):
    """createOneShotService's parameters."""

    model_config = _PARAMS

    name: str
    flag_essential: bool = False
    up: str
    down: str | None = None
    dependencies: list[ServiceRef] = Field(default_factory=list)
    credentials: Credentials = Field(default_factory=Credentials)
    post_install: str = ""


class ServiceBundleParams(BaseModel):
    """createServiceBundle's parameters."""

    model_config = _PARAMS

    name: str
    flag_essential: bool = False
    contents: list[ServiceRef] = Field(default_factory=list)
    post_install: str = ""


class LogServiceParams(BaseModel):
    """createLogServiceForLongRunService's parameters: the name of the longrun it logs."""

    model_config = _PARAMS

    name: str


Files = dict[str, GeneratedFile]


def generate(
    process: ManagedProcess, settings: BackendSettings, composition: S6RCComposition = S6RCComposition()
) -> Generated:
    """The s6-rc output of ``process``: a longrun (and its log service) or a oneshot, plus the prelude's files.

    ``process.dependencies`` are :class:`Dependency` values named after the
    services they generated (``<name>-srv`` for logged longruns);
    ``process.overrides`` is the s6-rc part only.
    """
    chosen = choose_invocation(process, Mode.FOREGROUND)
    if chosen is None:
        raise ThrownError(NO_INVOCATION_MESSAGE)
    prelude_files = _prelude_files(process, settings, composition)
    check = None if chosen.is_daemon else _readiness_check(process, settings, composition)
    script = _service_script(process, chosen, settings, composition, prelude_files, check is not None)
    generated: dict[str, Any] = {
        "name": process.name,
        "dependencies": process.dependencies,
        "credentials": process.credentials.model_dump(by_alias=True, exclude_unset=True),
        "postInstall": process.post_install,
    }
    what = f"s6-rc parameters of process '{process.name}'"
    if not chosen.is_daemon:
        arguments = apply_overrides({**generated, "run": script, **_readiness_arguments(process, check)},
                                    process.overrides)
        longrun = validate_as(LongRunServiceParams, arguments, what)
        output, scripts = _long_run(longrun, settings, composition), [longrun.run, longrun.finish or ""]
    else:
        pid_file = auto_pid_file(
            process.pid_file, process.instance_name, pid_files_dir(process.user, settings.runtime_dir, settings.tmp_dir)
        )
        down = None if pid_file is None else _down_script(pid_file, composition)
        arguments = apply_overrides({**generated, "up": script, "down": down}, process.overrides)
        oneshot = validate_as(OneShotServiceParams, arguments, what)
        output, scripts = _one_shot(oneshot, settings), [oneshot.up, oneshot.down or ""]
    used = {path: file for path, file in prelude_files.items() if any(in_output(path) in text for text in scripts)}
    return replace(output, files={**output.files, **used})


def create(
    params: Mapping[str, Any], settings: BackendSettings, composition: S6RCComposition = S6RCComposition()
) -> Generated:
    """One of the native functions, chosen by ``params["type"]`` (``longrun`` when absent)."""
    arguments = dict(params)
    kind = arguments.pop("type", "longrun")
    if kind == "longrun":
        return create_long_run_service(arguments, settings, composition)
    if kind == "oneshot":
        return create_one_shot_service(arguments, settings)
    if kind == "bundle":
        return create_service_bundle(arguments, settings)
    raise EvalError(f"unknown s6-rc service type {kind!r}: expected longrun, oneshot or bundle")


def create_long_run_service(
    params: Mapping[str, Any], settings: BackendSettings, composition: S6RCComposition = S6RCComposition()
) -> Generated:
    """createLongRunService: ``etc/s6/sv/<name>[-srv]/`` (and ``<name>-log/`` when logged), dysnomia-support."""
    return _long_run(validate_as(LongRunServiceParams, params, "createLongRunService"), settings, composition)


def create_one_shot_service(params: Mapping[str, Any], settings: BackendSettings) -> Generated:
    """createOneShotService: ``etc/s6/sv/<name>/`` with ``up`` and optionally ``down``, dysnomia-support."""
    return _one_shot(validate_as(OneShotServiceParams, params, "createOneShotService"), settings)


def create_service_bundle(params: Mapping[str, Any], settings: BackendSettings) -> Generated:
    """createServiceBundle: ``etc/s6/sv/<name>/`` naming its contents (an empty ``contents`` when none).

    ``settings`` keeps the native functions' common signature; a bundle's files do not depend on them.
    """
    bundle = validate_as(ServiceBundleParams, params, "createServiceBundle")
    name = _service_name(bundle.name)
    files: Files = {}
    service = _Service(name, files)
    service.string("type", "bundle")
    service.flag("flag-essential", bundle.flag_essential)
    if bundle.contents:
        service.names("contents", bundle.contents)
    else:
        service.flag("contents", True)
    return Generated(name=name, files=files, post_install=bundle.post_install)


def profile_files(names: list[str], bundle_name: str = "default") -> dict[str, GeneratedFile]:
    """The s6-rc profile's bundle (SPEC §3.11): ``<bundle_name>`` containing every process's service.

    The deploy tools compile the profile's ``etc/s6/sv`` and bring this bundle up.
    """
    bundle = create_service_bundle({"name": bundle_name, "contents": list(names)}, BackendSettings())
    return dict(bundle.files)


def create_log_service_for_long_run_service(
    params: Mapping[str, Any], settings: BackendSettings, composition: S6RCComposition = S6RCComposition()
) -> Generated:
    """createLogServiceForLongRunService ``{ name }``: ``etc/s6/sv/<name>-log/``, s6-log consuming ``<name>-srv``.

    Its run script makes ``<logDir>/s6-log/<name>``, hands it to the log user
    and drops privileges (neither when user changes are disabled), then runs
    ``s6-log`` with readiness notification on descriptor 3.
    """
    name = validate_as(LogServiceParams, params, "createLogServiceForLongRunService").name
    service_name = _service_name(f"{name}-log")
    user = None if settings.force_disable_user_change else composition.log_dir_user
    run = _TEMPLATES.get_template("log-run.execline.j2").render(
        programs=composition.programs,
        log_dir=log_dir(settings, name),
        user=user,
        group=composition.log_dir_group,
    )
    files: Files = {}
    service = _Service(service_name, files)
    service.string("type", "longrun")
    service.script("run", run)
    service.string("consumer-for", f"{name}-srv")
    service.string("notification-fd", str(LOG_NOTIFICATION_FD))
    service.string("pipeline-name", name)
    return Generated(name=service_name, files=files)


def log_dir(settings: BackendSettings, name: str) -> str:
    """Where the log service of longrun ``name`` keeps its output (``current`` and the archives)."""
    return f"{settings.log_dir}/s6-log/{name}"


class _Service:
    """The files of one service definition directory, as upstream's builder writes them."""

    def __init__(self, name: str, files: Files) -> None:
        self.directory = f"etc/s6/sv/{name}"
        self.files = files

    def string(self, file: str, value: str | int | None) -> None:
        """A value on a line of its own; nothing when null."""
        if value is not None:
            self.files[f"{self.directory}/{file}"] = GeneratedFile(f"{to_string(value)}\n")

    def flag(self, file: str, present: bool) -> None:
        """An empty file whose presence is what counts."""
        if present:
            self.files[f"{self.directory}/{file}"] = GeneratedFile("")

    def script(self, file: str, content: str | None, executable: bool = True) -> None:
        if content is not None:
            self.files[f"{self.directory}/{file}"] = GeneratedFile(content, executable=executable)

    def names(self, file: str, services: list[ServiceRef]) -> None:
        """One service name per line; nothing when the list is empty."""
        if services:
            self.files[f"{self.directory}/{file}"] = GeneratedFile(
                "".join(f"{_referenced_name(service)}\n" for service in services)
            )

    def directory_files(self, subdirectory: str, contents: dict[str, str] | None) -> None:
        """``data/`` or ``env/``: each relative path with its content; one starting with ``#!`` is a script,
        made executable (as ``data/check`` must be for ``s6-notifyoncheck``)."""
        for relative, content in (contents or {}).items():
            if any(part in ("", ".", "..") for part in relative.split("/")):
                raise EvalError(f"{relative!r} cannot name a file in {self.directory}/{subdirectory}")
            self.files[f"{self.directory}/{subdirectory}/{relative}"] = GeneratedFile(
                content, executable=content.startswith("#!")
            )


def _long_run(params: LongRunServiceParams, settings: BackendSettings, composition: S6RCComposition) -> Generated:
    """The longrun's directory; with automatic logging it is ``<name>-srv`` and its log service is added."""
    name = _service_name(params.name)
    service_name = _service_name(f"{name}-srv") if params.auto_generate_log_service else name
    files: Files = {}
    service = _Service(service_name, files)
    service.string("type", "longrun")
    service.flag("flag-essential", params.flag_essential)
    service.script("run", params.run)
    service.script("finish", params.finish)
    service.names("dependencies", params.dependencies)
    service.string("notification-fd", params.notification_fd)
    service.string("timeout-kill", params.timeout_kill)
    service.string("timeout-finish", params.timeout_finish)
    service.string("timeout-up", params.timeout_up)
    service.flag("nosetsid", params.nosetsid)
    service.string("max-death-tally", params.max_death_tally)
    service.string("down-signal", params.down_signal)
    service.directory_files("data", params.data)
    service.directory_files("env", params.env)
    if params.auto_generate_log_service:
        log_service = create_log_service_for_long_run_service({"name": name}, settings, composition)
        service.string("producer-for", log_service.name)
        files.update(log_service.files)
    elif params.producer_for is not None:
        service.string("producer-for", _referenced_name(params.producer_for))
    service.names("consumer-for", params.consumer_for)
    service.string("pipeline-name", params.pipeline_name)
    files.update(_dysnomia_support(params.credentials, settings))
    return Generated(name=service_name, files=files, post_install=params.post_install)


def _one_shot(params: OneShotServiceParams, settings: BackendSettings) -> Generated:
    name = _service_name(params.name)
    files: Files = {}
    service = _Service(name, files)
    service.string("type", "oneshot")
    service.flag("flag-essential", params.flag_essential)
    # s6-rc-compile lexes up and down into its database; they are not executed as files.
    service.script("up", params.up, executable=False)
    service.script("down", params.down, executable=False)
    service.names("dependencies", params.dependencies)
    files.update(_dysnomia_support(params.credentials, settings))
    return Generated(name=name, files=files, post_install=params.post_install)


def _dysnomia_support(credentials: Credentials, settings: BackendSettings) -> Files:
    files = dysnomia_support_files(credentials, settings.ids, settings.force_disable_user_change)
    return {f"dysnomia-support/{relative}": GeneratedFile(content) for relative, content in files.items()}


def envfile_path(name: str) -> str:
    """Where the environment file of process ``name`` goes in the output."""
    return f"share/s6-rc/{name}-envfile"


def initialize_path(name: str) -> str:
    """Where the initialize script of process ``name`` goes in the output."""
    return f"libexec/s6-rc/{name}-initialize"


def _prelude_files(process: ManagedProcess, settings: BackendSettings, composition: S6RCComposition) -> Files:
    """The envfile (``PATH`` with the base packages, execline and s6 first) and the initialize script."""
    _service_name(process.name)
    environment = append_path_to_environment(
        process.environment, [*composition.base_packages, composition.execline, composition.s6, *process.path]
    )
    check_shell_variable_names(environment, process.name)
    files: Files = {
        envfile_path(process.name): GeneratedFile(
            "".join(
                f"{variable}={execline.envfile_value(to_string(environment[variable]))}\n"
                for variable in attr_names(environment)
            )
        )
    }
    if process.initialize:
        files[initialize_path(process.name)] = prestart_script(process.initialize, composition.shell)
    return files


def _readiness_check(process: ManagedProcess, settings: BackendSettings, composition: S6RCComposition) -> str | None:
    """``data/check`` of a longrun with ``readiness``: one attempt of the check, as an execline script."""
    if process.readiness is None:
        return None
    argv = wait_ready_argv(process.readiness, process.name, composition.wait_ready or settings.wait_ready,
                           f"{log_dir(settings, process.name)}/current", once=True)
    return None if argv is None else _TEMPLATES.get_template("check.execline.j2").render(
        programs=composition.programs, argv=argv
    )


def _readiness_arguments(process: ManagedProcess, check: str | None) -> dict[str, Any]:
    """createLongRunService's readiness parameters: the descriptor, ``data/check``, and
    ``timeoutUp`` (ms), one interval after the check's own timeout."""
    if process.readiness is None or check is None:
        return {}
    return {
        "notificationFd": READINESS_NOTIFICATION_FD,
        "data": {READINESS_CHECK: check},
        "timeoutUp": _milliseconds(process.readiness.timeout + process.readiness.interval),
    }


def _milliseconds(seconds: int | float) -> int:
    return math.ceil(seconds * 1000)


def _service_script(
    process: ManagedProcess,
    chosen: Invocation,
    settings: BackendSettings,
    composition: S6RCComposition,
    prelude_files: Files,
    notify: bool = False,
) -> str:
    """``run`` (foreground) or ``up`` (daemon): the prelude, then ``exec`` into the executable.

    With ``notify``, ``run`` first becomes ``s6-notifyoncheck``, polling ``data/check``
    every ``interval`` until ``timeout`` (it must run in the service directory, so it comes first).
    """
    readiness = process.readiness if notify else None
    return _TEMPLATES.get_template("service.execline.j2").render(
        notify=None if readiness is None else {
            "every": _milliseconds(readiness.interval), "timeout": _milliseconds(readiness.timeout),
        },
        programs=composition.programs,
        envfile=in_output(envfile_path(process.name)),
        initialize=in_output(initialize_path(process.name)) if initialize_path(process.name) in prelude_files else None,
        umask=None if process.umask is None else to_string(process.umask),
        directory=process.directory,
        user=determine_user(process.user, settings.force_disable_user_change),
        nice=None if process.nice is None else to_string(process.nice),
        executable=chosen.executable,
        args=chosen.args,
    )


def _down_script(pid_file: str, composition: S6RCComposition) -> str:
    return _TEMPLATES.get_template("down.execline.j2").render(
        programs=composition.programs,
        pid_file=pid_file,
    )


def _referenced_name(service: ServiceRef) -> str:
    """The name of the service ``service`` refers to (an output named ``<hash>-<name>`` is service ``<name>``)."""
    if isinstance(service, Dependency):
        return _service_name(service.name)
    store_path = _STORE_PATH_NAME.fullmatch(service)
    return _service_name(store_path.group(1) if store_path else service)


def _service_name(name: str) -> str:
    """``name`` when it can name an s6-rc service directory and a store path, else an error naming it."""
    try:
        check_store_path_name(name, name)
    except EvalError:
        raise EvalError(f"{name!r} cannot name an s6-rc service: use letters, digits and +-._?=") from None
    if name.startswith(".") or name.startswith(("s6rc-", "s6-rc-")):
        raise EvalError(f"{name!r} cannot name an s6-rc service: s6-rc ignores dot names and reserves s6rc-/s6-rc-")
    return name

