"""The sysvinit backend's generator: a managed process → an init script and its rc links (SPEC §3.1).

Two steps, as upstream: :func:`generate` maps createManagedProcess's
parameters onto createSystemVInitScript's (daemon mode preferred, a
foreground-only process daemonized with the ``daemon`` command), lets
``overrides.sysvinit`` have the last word, then :func:`create_sysvinit_script`
builds the output from those native parameters. Every value that reaches the
script passes the templates' ``sh`` filter; only the parameters that *are*
shell (``initialize``, ``globalInstructions``, ``instructions``,
``activities``) and the composition's command knobs are written as given.

``readiness`` (ours, not upstream's, also a native parameter so overrides
can change it) makes the ``start`` activity run ``nixproc-wait-ready`` once
the daemon started, so ``<script> start`` returns only once the process is
ready and fails with the check's message when it is not (the process is
left running, as for any failed start). A ``logLine`` check reads the
daemonizer's output file; a process that daemonizes itself keeps its output
where it wants, so its ``logLine`` check is left to the switch.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from nixproc_disnix.backends.common.backend import Dependency, Generated
from nixproc_disnix.backends.common.credentials import dysnomia_support_files
from nixproc_disnix.backends.common.mode import Mode, choose_invocation
from nixproc_disnix.backends.common.output import GeneratedFile, Symlink, in_output
from nixproc_disnix.backends.common.overrides import apply_overrides
from nixproc_disnix.backends.common.readiness import wait_ready_argv
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.common.templates import shell_word, template_environment
from nixproc_disnix.backends.common.util import (
    append_path_to_environment,
    auto_pid_file,
    daemon_log_file,
    determine_user,
    pid_files_dir,
    shell_environment_exports,
)
from nixproc_disnix.errors import EvalError, ThrownError
from nixproc_disnix.model.credentials import Credentials
from nixproc_disnix.model.nix_json import attr_names
from nixproc_disnix.model.process import NO_NAME_MESSAGE, ManagedProcess, Scalar
from nixproc_disnix.model.readiness import Readiness
from nixproc_disnix.model.validation import validate_as

_TEMPLATES = template_environment(__package__)

COMMON_ACTIVITIES = ("start", "stop", "reload", "restart", "status")
"""The activities that come first in the ``case``, in this order; the rest follow by name, ``*`` last."""

INIT_FUNCTIONS_FILE = "lib/services/init-functions"
"""Where each output carries our init functions library (LFS's location, relative to the output)."""


def init_functions_library() -> str:
    """Our LFS-compatible init functions library (``start_daemon``, ``killproc``, ``statusproc``, …)."""
    return resources.files(__package__).joinpath("init-functions").read_text(encoding="utf-8")


@dataclass(frozen=True)
class SysvinitComposition:
    """createSystemVInitScript's composition knobs: the machine's init tooling.

    The command knobs (``start_daemon``, ``stop_daemon``, …) are shell code,
    typically functions of the init functions library, and are written as
    given; ``init_functions``, ``daemon``, ``su`` and ``shell`` are paths (or
    commands found in ``PATH``) and get quoted. ``init_functions`` None means
    our own library, shipped in every output at :data:`INIT_FUNCTIONS_FILE`,
    so the scripts run on any machine, not only where the LFS bootscripts are
    installed. ``wait_ready`` is ``nixproc-wait-ready``, which ``start`` runs
    for a ``readiness`` check (None: the settings').
    """

    shell: str = "/bin/bash"
    init_functions: str | None = None
    initial_instructions: str | None = None
    start_daemon: str = "start_daemon"
    daemon: str = "daemon"
    su: str = "su"
    stop_daemon: str = "killproc"
    reload_daemon: str = "killproc"
    evaluate_command: str = "evaluate_retval"
    status_command: str = "statusproc"
    restart_activity: str = '"$0" stop\nsleep 1\n"$0" start\n'
    supported_runlevels: tuple[int, ...] = field(default=tuple(range(7)))
    min_sequence: int = 0
    max_sequence: int = 99
    wait_ready: str | None = None


class Instruction(BaseModel):
    """An activity's shell ``instruction``, announced with the word ``activity`` and checked afterwards."""

    model_config = ConfigDict(strict=True, extra="forbid")

    activity: str
    instruction: str


class SysvinitScriptParams(BaseModel):
    """createSystemVInitScript's parameters; an unknown one is refused, as Nix refuses an unexpected argument."""

    model_config = ConfigDict(
        strict=True, extra="forbid", alias_generator=to_camel, populate_by_name=True, arbitrary_types_allowed=True
    )

    name: str | None = None
    instance_name: str | None = None
    description: str | None = None
    global_instructions: str = ""
    umask: str | int | None = None
    nice: str | int | None = None
    directory: str | None = None
    path: list[str] = Field(default_factory=list)
    environment: dict[str, Scalar] = Field(default_factory=dict)
    initialize: str = ""
    process: str | None = None
    process_is_daemon: bool = True
    enable_daemon_output_logging: bool = True
    args: list[Scalar] = Field(default_factory=list)
    pid_file: str | None = None
    user: str | None = None
    reload_signal: str = "-HUP"
    instructions: dict[str, Instruction] = Field(default_factory=dict)
    activities: dict[str, str] = Field(default_factory=dict)
    remove_activities: list[str] = Field(default_factory=list)
    runlevels: list[int] = Field(default_factory=list)
    default_start: list[int] = Field(default_factory=list)
    default_stop: list[int] = Field(default_factory=list)
    dependencies: list[Dependency] = Field(default_factory=list)
    credentials: Credentials = Field(default_factory=Credentials)
    post_install: str = ""
    readiness: Readiness | None = None


def generate(
    process: ManagedProcess, settings: BackendSettings, composition: SysvinitComposition = SysvinitComposition()
) -> Generated:
    """The sysvinit output of ``process``: ``etc/rc.d/init.d/<name>``, its rc links and dysnomia-support.

    ``process.dependencies`` must be :class:`Dependency` values exposing their
    ``sequence``, ``process.overrides`` the sysvinit part only (what
    ``resolve(params, "sysvinit")`` keeps).
    """
    return _created(sysvinit_params(process), settings, composition)


def create(
    params: Mapping[str, Any], settings: BackendSettings, composition: SysvinitComposition = SysvinitComposition()
) -> Generated:
    """createSystemVInitScript called directly with its own parameters (SPEC §1.7)."""
    return _created(validate_as(SysvinitScriptParams, params, "createSystemVInitScript"), settings, composition)


def _created(
    params: SysvinitScriptParams, settings: BackendSettings, composition: SysvinitComposition
) -> Generated:
    """The script output plus the start sequence number dependents order themselves after."""
    files = create_sysvinit_script(params, settings, composition)
    return Generated(
        name=_script_name(params),
        files=files,
        passthru={"sequence": sequence(params, composition)},
        post_install=params.post_install,
    )


def sysvinit_params(process: ManagedProcess) -> SysvinitScriptParams:
    """createSystemVInitScript's parameters for ``process``, overrides applied.

    The daemon is preferred; a process offering only a foreground mode is
    started through the daemonizer (``processIsDaemon = false``). The PID
    file is passed only when explicit, so the script's default rules apply.
    """
    chosen = choose_invocation(process, Mode.DAEMON)
    generated: dict[str, Any] = {
        "name": process.name,
        "description": process.description,
        "path": process.path,
        "environment": process.environment,
        "directory": process.directory,
        "umask": process.umask,
        "nice": process.nice,
        "dependencies": process.dependencies,
        "credentials": process.credentials.model_dump(by_alias=True, exclude_unset=True),
        "instanceName": process.instance_name,
        "initialize": process.initialize,
        "user": process.user,
        "postInstall": process.post_install,
        "process": None if chosen is None else chosen.executable,
        "processIsDaemon": chosen is None or chosen.is_daemon,
        "args": [] if chosen is None else chosen.args,
    }
    if process.pid_file is not None:
        generated["pidFile"] = process.pid_file
    if process.readiness is not None:
        generated["readiness"] = process.readiness.model_dump(by_alias=True, exclude_none=True)
    arguments = apply_overrides(generated, process.overrides)
    return validate_as(SysvinitScriptParams, arguments, f"sysvinit parameters of process '{process.name}'")


def sequence(params: SysvinitScriptParams, composition: SysvinitComposition = SysvinitComposition()) -> int:
    """The start sequence number: the minimum without dependencies, else one after the latest dependency."""
    if not params.dependencies:
        return composition.min_sequence
    return max(dependency.ordering("sequence") for dependency in params.dependencies) + 1


def create_sysvinit_script(
    params: SysvinitScriptParams, settings: BackendSettings, composition: SysvinitComposition = SysvinitComposition()
) -> dict[str, GeneratedFile | Symlink]:
    """createSystemVInitScript: the init script, ``S``/``K`` links per runlevel, dysnomia-support files.

    ``postInstall`` is build-time shell for whoever writes the output into
    the store; it is not part of the files.
    """
    name = _script_name(params)
    description = name if params.description is None else params.description
    own_library = composition.init_functions is None
    init_functions = in_output(INIT_FUNCTIONS_FILE) if own_library else composition.init_functions

    if params.runlevels:
        default_start = [level for level in composition.supported_runlevels if level in params.runlevels]
        default_stop = [level for level in composition.supported_runlevels if level not in default_start]
    else:
        default_start, default_stop = params.default_start, params.default_stop

    script = _TEMPLATES.get_template("init-script.sh.j2").render(
        shell=composition.shell,
        name=name,
        default_start=default_start,
        default_stop=default_stop,
        should_start=[dependency.name for dependency in params.dependencies],
        description=description,
        initial_instructions=composition.initial_instructions
        if composition.initial_instructions is not None
        else f". {shell_word(init_functions)}",
        global_instructions=params.global_instructions,
        umask=params.umask,
        environment_exports=shell_environment_exports(_checked_environment(params)),
        activities=_activities(params, name, description, settings, composition),
    )

    start = sequence(params, composition)
    stop = composition.max_sequence - start + composition.min_sequence
    output: dict[str, GeneratedFile | Symlink] = {f"etc/rc.d/init.d/{name}": GeneratedFile(script, executable=True)}
    if own_library:
        output[INIT_FUNCTIONS_FILE] = GeneratedFile(init_functions_library())
    for runlevel in default_start:
        output[f"etc/rc.d/rc{runlevel}.d/S{start:02d}{name}"] = Symlink(f"../init.d/{name}")
    for runlevel in default_stop:
        output[f"etc/rc.d/rc{runlevel}.d/K{stop:02d}{name}"] = Symlink(f"../init.d/{name}")
    for relative, content in dysnomia_support_files(
        params.credentials, settings.ids, settings.force_disable_user_change
    ).items():
        output[f"dysnomia-support/{relative}"] = GeneratedFile(content)
    return output


def _script_name(params: SysvinitScriptParams) -> str:
    """``name``, defaulting to ``instanceName``; it names a file, so it must be one path component."""
    name = params.name if "name" in params.model_fields_set else params.instance_name
    if name is None:
        raise ThrownError(NO_NAME_MESSAGE)
    if not name or "/" in name or name in (".", "..") or "\n" in name:
        raise EvalError(f"sysvinit process name {name!r} cannot name a file in etc/rc.d/init.d")
    return name


def _checked_environment(params: SysvinitScriptParams) -> dict[str, Scalar]:
    """``environment`` plus ``PATH``; a name that is not a shell identifier cannot be exported safely."""
    environment = append_path_to_environment(params.environment, params.path)
    for variable in environment:
        if not variable.isidentifier() or not variable.isascii():
            raise EvalError(f"environment variable name {variable!r} is not a valid shell variable name")
    return environment


def _activities(
    params: SysvinitScriptParams,
    name: str,
    description: str,
    settings: BackendSettings,
    composition: SysvinitComposition,
) -> list[tuple[str, str]]:
    """The ``case`` branches in order: generated instructions, then ``instructions``, ``activities``, removals."""
    macros = _TEMPLATES.get_template("instructions.sh.j2").module
    instructions: dict[str, Instruction] = {}
    defaults: dict[str, str] = {}
    log_file = None
    if params.process is not None:
        user = determine_user(params.user, settings.force_disable_user_change)
        pid_dir = pid_files_dir(params.user, settings.runtime_dir, settings.tmp_dir)
        pid_file = auto_pid_file(params.pid_file, params.instance_name, pid_dir)
        if params.process_is_daemon:
            command = macros.start_daemon(
                composition.start_daemon, pid_file, params.nice, params.process, params.args, composition.su, user
            )
        else:
            log_file = daemon_log_file(
                name=name,
                instance_name=params.instance_name,
                log_dir=settings.log_dir,
                tmp_dir=settings.tmp_dir,
                user=user,
                enabled=params.enable_daemon_output_logging,
            )
            command = macros.daemonize(
                composition.daemon, params.process, params.args, pid_dir, pid_file, user, log_file
            )
        instructions = {
            "start": Instruction(
                activity="Starting", instruction=macros.start(params.initialize, params.directory, command)
            ),
            "stop": Instruction(
                activity="Stopping",
                instruction=macros.signal(composition.stop_daemon, pid_file, params.process, None),
            ),
            "reload": Instruction(
                activity="Reloading",
                instruction=macros.signal(composition.reload_daemon, pid_file, params.process, params.reload_signal),
            ),
        }
        defaults = {
            "status": macros.signal(composition.status_command, pid_file, params.process, None),
            "restart": composition.restart_activity,
        }
    ready = None
    if params.readiness is not None:
        ready = wait_ready_argv(params.readiness, name, composition.wait_ready or settings.wait_ready, log_file)
    bodies = {
        activity: macros.instruction(step.activity, description, step.instruction, composition.evaluate_command,
                                     ready if activity == "start" else None)
        for activity, step in (instructions | params.instructions).items()
    } | defaults
    names = (set(bodies) | {"*"} | set(params.activities)) - set(params.remove_activities)
    ordered = _case_order(names)
    if "*" in names:
        bodies["*"] = macros.usage([activity for activity in ordered if activity != "*"])
    bodies |= params.activities
    return [(activity, bodies[activity]) for activity in ordered]


def _case_order(names: set[str]) -> list[str]:
    """start, stop, reload, restart, status, the others in attrNames order, then ``*``."""
    return (
        [activity for activity in COMMON_ACTIVITIES if activity in names]
        + [activity for activity in attr_names(names) if activity not in COMMON_ACTIVITIES and activity != "*"]
        + (["*"] if "*" in names else [])
    )
