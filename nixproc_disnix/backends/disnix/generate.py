"""The disnix backend's generator: a managed process → a Dysnomia ``process`` component (SPEC §3.7, §6.2).

Dysnomia's ``process`` module activates a component by sourcing its
``etc/dysnomia/process/<name>`` (``process=``, ``pidFile=``), running
``$process`` once — it must start the daemon and return — and deactivates it
by killing the PID in ``pidFile``. So, as upstream, :func:`generate` writes a
*process wrapper* that prepares the environment and starts the process in
the background (a daemon directly, through ``su`` for a user; a
foreground-only process through libslack's ``daemon``), and
:func:`create_process_script` (createProcessScript) writes the config that
names it, plus dysnomia-support for the accounts Dysnomia creates first.

The wrapper lives in the output as ``bin/<name>-process-wrapper`` (upstream
makes it a store path of its own; ``bin/`` is also where Dysnomia looks when
a component has no config). The config names it by the output's own path
(:data:`~nixproc_disnix.backends.common.output.OUT_PLACEHOLDER`); it is
written only while ``process`` still refers to it after the overrides.

Differences from upstream, each what a user would expect:

- every value reaching the wrapper or the config is a quoted shell word
  (upstream interpolates ``umask``, ``nice``, ``directory``, executables,
  users and file paths bare, and the config through an unquoted heredoc);
- a foreground process without an instance name or explicit PID file is
  daemonized with a PID file named after its executable, and that file is
  written as ``pidFile=``; upstream omits it, so Dysnomia looks for
  ``<runtimeDir>/<name>-process-wrapper.pid`` and cannot stop the process;
- a process name that cannot name the output (Nix's store path name rules)
  is refused with the process named.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from nixproc_disnix.backends.common.backend import Dependency, Generated
from nixproc_disnix.backends.common.credentials import dysnomia_support_files
from nixproc_disnix.backends.common.daemon_commands import daemonize_foreground_process, invoke_daemon
from nixproc_disnix.backends.common.mode import Mode, choose_invocation
from nixproc_disnix.backends.common.output import GeneratedFile, Symlink, in_output
from nixproc_disnix.backends.common.overrides import apply_overrides
from nixproc_disnix.backends.common.readiness import wait_ready_argv
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.common.templates import template_environment
from nixproc_disnix.backends.common.util import (
    append_path_to_environment,
    auto_pid_file,
    check_shell_variable_names,
    daemon_log_file,
    determine_user,
    pid_files_dir,
    shell_environment_exports,
)
from nixproc_disnix.errors import EvalError, ThrownError
from nixproc_disnix.model.credentials import Credentials
from nixproc_disnix.model.process import ManagedProcess
from nixproc_disnix.model.validation import validate_as
from nixproc_disnix.store.paths import check_store_path_name

_TEMPLATES = template_environment(__package__)

NO_INVOCATION_MESSAGE = "I don't know how to start this process!"


@dataclass(frozen=True)
class DisnixComposition:
    """generateProcessScript's composition: the machine's tools.

    ``su`` and ``daemon`` (libslack's) are written as given, command names
    resolved through the wrapper's ``PATH`` as upstream does. The wrapper's
    ``PATH`` starts with ``base_packages`` and ``daemon_package`` (the
    framework passes coreutils, gnused, gnugrep, inetutils and libslack
    daemon; left empty, the system ``PATH`` the wrapper keeps provides them).
    ``wait_ready`` is ``nixproc-wait-ready``, which the wrapper runs after the
    start for a ``readiness`` check (None: the settings').
    """

    shell: str = "/bin/bash"
    su: str = "su"
    daemon: str = "daemon"
    base_packages: tuple[str, ...] = ()
    daemon_package: str | None = None
    wait_ready: str | None = None


class ProcessScriptParams(BaseModel):
    """createProcessScript's parameters; an unknown one is refused, as Nix refuses an unexpected argument.

    ``process`` is the executable Dysnomia runs to start the process;
    ``dependencies`` are only kept (passthru) for the profile, which
    activates them first.
    """

    model_config = ConfigDict(
        strict=True, extra="forbid", alias_generator=to_camel, populate_by_name=True, arbitrary_types_allowed=True
    )

    name: str
    process: str
    pid_file: str | None = None
    dependencies: list[Dependency] = Field(default_factory=list)
    post_install: str = ""
    credentials: Credentials = Field(default_factory=Credentials)


def generate(
    process: ManagedProcess, settings: BackendSettings, composition: DisnixComposition = DisnixComposition()
) -> Generated:
    """The Dysnomia ``process`` component of ``process``: wrapper, config and dysnomia-support.

    ``process.overrides`` is the disnix part only (what ``resolve(params,
    "disnix")`` keeps); it applies to createProcessScript's parameters.
    """
    wrapper_file = f"bin/{_checked_name(process.name)}-process-wrapper"
    params = process_script_params(process, settings, composition)
    generated = _created(params, settings)
    if in_output(wrapper_file) not in params.process:
        return generated
    wrapper = GeneratedFile(process_wrapper(process, settings, composition), executable=True)
    return Generated(
        name=generated.name,
        files={**generated.files, wrapper_file: wrapper},
        passthru=generated.passthru,
        post_install=generated.post_install,
    )


def create(params: Mapping[str, Any], settings: BackendSettings) -> Generated:
    """createProcessScript called directly with its own parameters."""
    return _created(validate_as(ProcessScriptParams, params, "createProcessScript"), settings)


def _created(params: ProcessScriptParams, settings: BackendSettings) -> Generated:
    """The component's files; its dependencies stay visible to the profile that orders activation."""
    return Generated(
        name=_checked_name(params.name),
        files=create_process_script(params, settings),
        passthru={"dependencies": list(params.dependencies)},
        post_install=params.post_install,
    )


def process_script_params(
    process: ManagedProcess, settings: BackendSettings, composition: DisnixComposition = DisnixComposition()
) -> ProcessScriptParams:
    """createProcessScript's parameters for ``process``, overrides applied.

    ``process`` is the wrapper's path in the output; ``pidFile`` the PID file
    the started process writes, when it is known (see the module notes).
    """
    generated: dict[str, Any] = {
        "name": process.name,
        "dependencies": process.dependencies,
        "credentials": process.credentials.model_dump(by_alias=True, exclude_unset=True),
        "postInstall": process.post_install,
        "process": in_output(f"bin/{_checked_name(process.name)}-process-wrapper"),
    }
    pid_file = _pid_file(process, settings)
    if pid_file is not None:
        generated["pidFile"] = pid_file
    arguments = apply_overrides(generated, process.overrides)
    return validate_as(ProcessScriptParams, arguments, f"disnix parameters of process '{process.name}'")


def process_wrapper(
    process: ManagedProcess, settings: BackendSettings, composition: DisnixComposition = DisnixComposition()
) -> str:
    """The wrapper script: exports, ``umask``, ``initialize``, ``cd``, then ``exec [nice -n N] <start>``.

    A daemon is preferred; it is started as is, or through ``su USER -c``.
    A foreground-only process is daemonized by ``daemon`` (output logged,
    ``--user`` for the user switch). With a ``readiness`` check the start is
    not exec'd but followed by the check, so Dysnomia's activation ends once
    the process is ready and fails when it is not (a ``logLine`` check reads
    the daemonizer's log, and is left to the switch for a daemon).
    """
    chosen = choose_invocation(process, Mode.DAEMON)
    if chosen is None:
        raise ThrownError(NO_INVOCATION_MESSAGE)
    user = determine_user(process.user, settings.force_disable_user_change)
    log_file = None
    if chosen.is_daemon:
        command = invoke_daemon(chosen.executable, chosen.args, composition.su, user)
    else:
        log_file = daemon_log_file(
            name=process.name, instance_name=process.instance_name, log_dir=settings.log_dir,
            tmp_dir=settings.tmp_dir, user=user,
        )
        command = daemonize_foreground_process(
            daemon=composition.daemon,
            executable=chosen.executable,
            args=chosen.args,
            pid_dir=pid_files_dir(process.user, settings.runtime_dir, settings.tmp_dir),
            pid_file=_pid_file(process, settings),
            user=user,
            output_log_file=log_file,
        )
    packages = [*composition.base_packages]
    if composition.daemon_package is not None:
        packages.append(composition.daemon_package)
    environment = append_path_to_environment(process.environment, packages + process.path)
    check_shell_variable_names(environment, process.name)
    return _TEMPLATES.get_template("process-wrapper.sh.j2").render(
        shell=composition.shell,
        exports=shell_environment_exports(environment).splitlines(),
        umask=process.umask,
        initialize=process.initialize,
        directory=process.directory,
        nice=process.nice,
        command=command,
        ready=None if process.readiness is None else wait_ready_argv(
            process.readiness, process.name, composition.wait_ready or settings.wait_ready, log_file
        ),
    )


def create_process_script(params: ProcessScriptParams, settings: BackendSettings) -> dict[str, GeneratedFile | Symlink]:
    """createProcessScript: ``etc/dysnomia/process/<name>`` and the dysnomia-support files.

    ``postInstall`` is build-time shell for whoever writes the output; it is
    not part of the files.
    """
    name = _checked_name(params.name)
    config = _TEMPLATES.get_template("process-config.j2").render(process=params.process, pid_file=params.pid_file)
    output: dict[str, GeneratedFile | Symlink] = {f"etc/dysnomia/process/{name}": GeneratedFile(config)}
    for relative, content in dysnomia_support_files(
        params.credentials, settings.ids, settings.force_disable_user_change
    ).items():
        output[f"dysnomia-support/{relative}"] = GeneratedFile(content)
    return output


def _pid_file(process: ManagedProcess, settings: BackendSettings) -> str | None:
    """The auto PID file; for a daemonized foreground process without one, the file ``daemon`` names."""
    pid_dir = pid_files_dir(process.user, settings.runtime_dir, settings.tmp_dir)
    pid_file = auto_pid_file(process.pid_file, process.instance_name, pid_dir)
    chosen = choose_invocation(process, Mode.DAEMON)
    if pid_file is None and chosen is not None and not chosen.is_daemon:
        return f"{pid_dir}/{PurePosixPath(chosen.executable).name}.pid"
    return pid_file


def _checked_name(name: str) -> str:
    """The process name names the output and its files, so it must be a valid store path name."""
    if name in (".", ".."):
        raise EvalError(f"disnix process name {name!r} cannot name a file in etc/dysnomia/process")
    try:
        check_store_path_name(name, name)
    except EvalError as error:
        raise EvalError(f"disnix process name {name!r} cannot name its output: {error.message}") from None
    return name
