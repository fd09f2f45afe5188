"""The supervisord backend's generator: a managed process → a ``[program:<name>]`` file (SPEC §3.4).

As upstream, :func:`generate` maps createManagedProcess's parameters onto
createSupervisordProgram's, lets ``overrides.supervisord`` have the last
word, and :func:`create_supervisord_program` writes ``conf.d/<name>.conf``.
supervisord supervises a foreground process, so that mode is preferred: the
process itself is the ``command``, or the foreground proxy (§2.4) when
``initialize`` must run first (it then switches to the user with
``nixproc-chainload-user``, so ``initialize`` runs as root). A daemon-only
process runs under the proxy, which waits for its PID file and stays in the
foreground for it. Otherwise the user is supervisord's own ``user=``.

Native parameters are supervisord syntax: ``command`` and every other
property are written as given (an override may use ``%(program_name)s`` on
purpose), so the generator writes the agnostic values into that syntax
first (:mod:`.syntax`); ``environment`` holds plain values, quoted by the
create function. The proxy goes into the output as
``bin/<name>-foregroundproxy.sh`` (upstream makes it a store path of its
own), written only while the ``command`` still refers to it after the overrides.

Differences from upstream, each what a user would expect:

- arguments reach the process exactly, whatever characters they hold
  (upstream shell-quotes them but leaves ``%``, ``;``, ``#`` and line
  breaks to break the file); an environment value supervisord cannot read
  back is refused with the reason instead of arriving changed;
- ``directory`` becomes ``directory=`` (upstream drops it);
- ``nice`` is applied with ``nice -n`` in the command, or by the proxy
  (upstream writes ``nice=``, which supervisord does not know);
- with ``useProxy``, an absolute ``pidFile`` is used as is (upstream always
  puts it under the runtime directory);
- a ``priority`` property replaces the computed one, also for dependents; a
  property set to null is left out, booleans are written ``true``/``false``
  (upstream writes ``priority=`` twice, ``key=`` and ``key=`` or ``1``);
- names that cannot name the output, the file or the program are refused,
  naming the process.

supervisord has no readiness probe: its ``startsecs`` is how long a program
must stay up to count as started. A ``readiness`` check (ours, not
upstream's) sets it to the check's ``interval`` in whole seconds, so a
program that dies at once fails its start in supervisord (after its
retries) instead of surfacing as a readiness timeout; not to the
``timeout``, which would delay every start by it. Waiting until the process
is ready is left to the switch.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from nixproc_disnix.backends.common.backend import Dependency, Generated
from nixproc_disnix.backends.common.credentials import dysnomia_support_files
from nixproc_disnix.backends.common.foreground_proxy import (
    ForegroundProxy,
    ProxyTools,
    foreground_invocation,
    invocation_proxy,
)
from nixproc_disnix.backends.common.output import GeneratedFile, Symlink
from nixproc_disnix.backends.common.overrides import apply_overrides
from nixproc_disnix.backends.common.readiness import whole_seconds
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.common.templates import template_environment
from nixproc_disnix.backends.common.util import append_path_to_environment, check_shell_variable_names
from nixproc_disnix.backends.supervisord import syntax
from nixproc_disnix.errors import EvalError
from nixproc_disnix.model.credentials import Credentials
from nixproc_disnix.model.nix_json import attr_names, to_string
from nixproc_disnix.model.process import ManagedProcess, Scalar
from nixproc_disnix.model.validation import validate_as
from nixproc_disnix.store.paths import check_store_path_name

_TEMPLATES = template_environment(__package__)

_PROPERTY_KEY = re.compile(r"[A-Za-z0-9_]+")


@dataclass(frozen=True)
class SupervisordComposition:
    """createSupervisordProgram's composition.

    ``base_packages`` go on every program's ``PATH`` ahead of ``path`` (the
    framework passes coreutils, gnused, gnugrep and inetutils; left empty,
    ``PATH`` is set only from ``path``); ``pidproxy`` is supervisor's
    ``pidproxy`` for ``useProxy``; ``proxy`` is where the foreground proxy runs.
    """

    base_packages: tuple[str, ...] = ()
    pidproxy: str = "pidproxy"
    proxy: ProxyTools = field(default_factory=ProxyTools)


class SupervisordProgramParams(BaseModel):
    """createSupervisordProgram's parameters: nine named ones, every other one a program property.

    A property's value is written with Nix's ``toString`` (lists
    space-separated), except that booleans are ``true``/``false`` and null
    leaves the property out.
    """

    model_config = ConfigDict(
        strict=True, extra="allow", alias_generator=to_camel, populate_by_name=True, arbitrary_types_allowed=True
    )

    name: str
    use_proxy: bool = False
    command: str | None = None
    pid_file: str | None = None
    path: list[str] = Field(default_factory=list)
    environment: dict[str, Scalar] = Field(default_factory=dict)
    dependencies: list[Dependency] = Field(default_factory=list)
    credentials: Credentials = Field(default_factory=Credentials)
    post_install: str = ""

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def generate(
    process: ManagedProcess,
    settings: BackendSettings,
    composition: SupervisordComposition = SupervisordComposition(),
) -> Generated:
    """The supervisord output of ``process``: ``conf.d/<name>.conf``, the proxy if used, dysnomia-support.

    ``process.dependencies`` are :class:`Dependency` values exposing their
    ``priority``; ``process.overrides`` is the supervisord part only.
    """
    params, proxy = supervisord_params(process, settings, composition)
    generated = _created(params, settings, composition)
    if proxy is None or proxy.executable not in (params.command or ""):
        return generated
    return replace(generated, files={**generated.files, proxy.path: proxy.script})


def create(
    params: Mapping[str, Any],
    settings: BackendSettings,
    composition: SupervisordComposition = SupervisordComposition(),
) -> Generated:
    """createSupervisordProgram called directly with its own parameters."""
    return _created(validate_as(SupervisordProgramParams, params, "createSupervisordProgram"), settings, composition)


def supervisord_params(
    process: ManagedProcess,
    settings: BackendSettings,
    composition: SupervisordComposition = SupervisordComposition(),
) -> tuple[SupervisordProgramParams, ForegroundProxy | None]:
    """createSupervisordProgram's parameters for ``process``, overrides applied, and the proxy they may name."""
    name = _checked_name(process.name)
    chosen = foreground_invocation(process, "supervisord")
    chainload_user = None if not process.initialize or settings.force_disable_user_change else process.user
    proxy = None
    if chosen.is_daemon or process.initialize:
        proxy = invocation_proxy(name, chosen, process, settings, composition.proxy,
                                 instance_name=process.instance_name, user=chainload_user, nice=process.nice)
        words = proxy.argv
    else:
        niceness = [] if process.nice is None else ["nice", "-n", to_string(process.nice)]
        words = [*niceness, chosen.executable, *(to_string(arg) for arg in chosen.args)]
    generated: dict[str, Any] = {
        "name": name,
        "command": syntax.command_line(words, name),
        "path": process.path,
        "environment": process.environment,
        "dependencies": process.dependencies,
        "credentials": process.credentials.model_dump(by_alias=True, exclude_unset=True),
        "postInstall": process.post_install,
    }
    if process.pid_file is not None:
        generated["pidFile"] = process.pid_file
    if process.readiness is not None:
        generated["startsecs"] = whole_seconds(process.readiness.interval)
    properties = {
        "umask": process.umask,
        "directory": process.directory,
        "user": process.user if chainload_user is None else None,
    }
    for key, value in properties.items():
        if value is not None:
            generated[key] = syntax.property_value(to_string(value), key, name)
    arguments = apply_overrides(generated, process.overrides)
    params = validate_as(SupervisordProgramParams, arguments, f"supervisord parameters of process '{name}'")
    return params, proxy


def priority(params: SupervisordProgramParams) -> int:
    """The program's start priority: an explicit ``priority`` property, else 1 without
    dependencies, else one more than the highest dependency's."""
    explicit = params.properties.get("priority")
    if explicit is not None:
        if not isinstance(explicit, int) or isinstance(explicit, bool):
            raise EvalError(f"property 'priority' of supervisord program '{params.name}' must be an integer")
        return explicit
    if not params.dependencies:
        return 1
    return max(dependency.ordering("priority") for dependency in params.dependencies) + 1


def create_supervisord_program(
    params: SupervisordProgramParams,
    settings: BackendSettings,
    composition: SupervisordComposition = SupervisordComposition(),
) -> dict[str, GeneratedFile | Symlink]:
    """createSupervisordProgram: ``conf.d/<name>.conf`` and the dysnomia-support files.

    ``postInstall`` is build-time shell for whoever writes the output into
    the store; it is not part of the files.
    """
    name = _checked_name(params.name)
    if params.command is None:
        raise EvalError(f"supervisord program '{name}' has no command")
    syntax.check_raw(params.command, "command", name)
    command = params.command
    if params.use_proxy:
        pid_file = params.pid_file if params.pid_file is not None else f"{name}.pid"
        pid_path = pid_file if pid_file.startswith("/") else f"{settings.runtime_dir}/{pid_file}"
        command = f"{syntax.command_line([composition.pidproxy, pid_path], name)} {command}"

    environment = append_path_to_environment(params.environment, [*composition.base_packages, *params.path])
    check_shell_variable_names(environment, name)
    program = _TEMPLATES.get_template("program.conf.j2").render(
        name=name,
        command=command,
        priority=priority(params),
        environment=[
            (variable, syntax.environment_value(to_string(environment[variable]), variable, name))
            for variable in attr_names(environment)
        ],
        properties=_property_lines(params, settings),
    )
    output: dict[str, GeneratedFile | Symlink] = {f"conf.d/{name}.conf": GeneratedFile(program)}
    for relative, content in dysnomia_support_files(
        params.credentials, settings.ids, settings.force_disable_user_change
    ).items():
        output[f"dysnomia-support/{relative}"] = GeneratedFile(content)
    return output


def profile_files(names: list[str]) -> dict[str, GeneratedFile]:
    """The supervisord profile's ``supervisord.conf`` (SPEC §3.11): every program of ``conf.d``,
    controlled through the HTTP interface on 127.0.0.1:9001; the same for any set of ``names``."""
    return {"supervisord.conf": GeneratedFile(_TEMPLATES.get_template("supervisord.conf.j2").render())}


def _created(
    params: SupervisordProgramParams, settings: BackendSettings, composition: SupervisordComposition
) -> Generated:
    """The program output plus the priority dependents order themselves after."""
    return Generated(
        name=params.name,
        files=create_supervisord_program(params, settings, composition),
        passthru={"priority": priority(params)},
        post_install=params.post_install,
    )


def _property_lines(params: SupervisordProgramParams, settings: BackendSettings) -> list[tuple[str, str]]:
    """``key=value`` lines after the fixed ones, in attrNames order; ``user`` goes when user changes are disabled."""
    lines = []
    properties = params.properties
    for key in attr_names(properties):
        value = properties[key]
        if key == "priority" or value is None or (key == "user" and settings.force_disable_user_change):
            continue
        if not _PROPERTY_KEY.fullmatch(key):
            raise EvalError(f"supervisord program '{params.name}' cannot have a property named {key!r}")
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (str, int, float, list)):
            text = to_string(value)
        else:
            raise EvalError(f"property '{key}' of supervisord program '{params.name}' cannot be a {type(value).__name__}")
        syntax.check_raw(text, key, params.name)
        lines.append((key, text))
    return lines


def _checked_name(name: str) -> str:
    """The name names the output, ``conf.d/<name>.conf`` and ``[program:<name>]``: a store path name, not a dot path."""
    if name in (".", ".."):
        raise EvalError(f"supervisord program name {name!r} cannot name a file in conf.d")
    try:
        check_store_path_name(name, name)
    except EvalError as error:
        raise EvalError(f"supervisord program name {name!r} cannot name its output: {error.message}") from None
    return name
