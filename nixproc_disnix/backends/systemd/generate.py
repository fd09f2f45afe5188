"""The systemd backend's generator: a managed process → a service unit (SPEC §3.3).

As upstream, :func:`generate` maps createManagedProcess's parameters onto
createSystemdService's (foreground mode preferred: ``Type=simple``; a
daemon-only process runs as ``Type=forking``), lets ``overrides.systemd``
have the last word, and :func:`create_systemd_service` renders the unit:
every parameter other than ``name``, ``environment``, ``dependencies``,
``path``, ``credentials`` and ``postInstall`` is a section whose properties
are written as ``Key=value`` lines, so any section or key can be set through
the overrides (``overrides.systemd.Service.Restart = "always"``).

Native parameters are unit-file syntax: the generator writes the agnostic
values into that syntax (:mod:`.syntax`) before the overrides apply, and an
override's values are written as given (they may use specifiers on purpose).
``initialize`` becomes ``libexec/systemd/<name>-prestart`` in the output,
run by ``ExecStartPre`` (upstream makes it a store path of its own); it is
written only while ``ExecStartPre`` still refers to it after the overrides.
``readiness`` (ours, not upstream's) becomes ``ExecStartPost=`` running
``nixproc-wait-ready`` and a ``TimeoutStartSec=`` that leaves it its
timeout, so ``systemctl start`` returns once the process is ready; a
``logLine`` check, whose output is in the journal, is left to the switch.

Differences from upstream, each what a user would expect:

- ``Environment=`` values and ``ExecStart=`` arguments are quoted per
  systemd's rules, with ``%`` and ``$`` escaped (upstream writes them bare or
  shell-quoted, so spaces, ``%`` and ``$`` are misread);
- ``ExecStartPre``'s ``+`` (run as root) follows the effective user, so it
  is dropped when user changes are disabled;
- sections and their properties, including the ``[Service]``/``[Unit]``
  created for environment or dependencies, are all in attrNames order;
- like upstream no ``[Install]`` section is generated: the deploy tools
  start every unit of a profile themselves. ``overrides.systemd.Install``
  adds one (e.g. ``WantedBy``) when a unit should also be enabled;
- names that cannot form a unit or store path name are refused, naming the
  process.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel

from nixproc_disnix.backends.common.backend import Dependency, Generated
from nixproc_disnix.backends.common.credentials import dysnomia_support_files
from nixproc_disnix.backends.common.mode import Mode, choose_invocation
from nixproc_disnix.backends.common.output import GeneratedFile, Symlink, in_output
from nixproc_disnix.backends.common.overrides import apply_overrides
from nixproc_disnix.backends.common.prestart import prestart_script
from nixproc_disnix.backends.common.readiness import wait_ready_argv, whole_seconds
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.common.templates import template_environment
from nixproc_disnix.backends.common.util import (
    append_path_to_environment,
    check_shell_variable_names,
    determine_user,
)
from nixproc_disnix.backends.systemd import syntax
from nixproc_disnix.errors import EvalError
from nixproc_disnix.model.credentials import Credentials
from nixproc_disnix.model.nix_json import attr_names, to_string
from nixproc_disnix.model.process import ManagedProcess, Scalar
from nixproc_disnix.model.readiness import Readiness
from nixproc_disnix.model.validation import validate_as
from nixproc_disnix.store.paths import MAX_NAME_LEN

_TEMPLATES = template_environment(__package__)

_UNIT_NAME = re.compile(r"[A-Za-z0-9_.-]+")
"""Characters a unit name may have that also suit a store path name (no templates: ``@`` is refused)."""

_SECTION_TITLE = re.compile(r"[A-Za-z0-9 _.-]+")
_PROPERTY_KEY = re.compile(r"[A-Za-z0-9_-]+")

_USER_KEYS = ("User", "Group")
"""Properties dropped when user changes are disabled."""

DEFAULT_START_TIMEOUT = 90
"""systemd's ``DefaultTimeoutStartSec``: what a unit's start may take before its readiness wait."""

Property = Scalar | list[Scalar]
_SECTION = TypeAdapter(dict[str, Property], config=ConfigDict(strict=True))


@dataclass(frozen=True)
class SystemdComposition:
    """createSystemdService's composition.

    ``base_packages`` go on every unit's ``PATH`` ahead of ``path`` (the
    framework passes coreutils, gnused, gnugrep and inetutils; left empty,
    ``PATH`` is set only from ``path``); ``shell`` runs the prestart script;
    ``wait_ready`` is ``nixproc-wait-ready``, run by ``ExecStartPost`` (None: the settings').
    """

    prefix: str = "nix-process-"
    base_packages: tuple[str, ...] = ()
    shell: str = "/bin/bash"
    wait_ready: str | None = None


class SystemdServiceParams(BaseModel):
    """createSystemdService's parameters: six named ones, every other one a unit-file section.

    A section is an attribute set of properties; a property's value is
    written with Nix's ``toString`` (lists space-separated).
    """

    model_config = ConfigDict(
        strict=True, extra="allow", alias_generator=to_camel, populate_by_name=True, arbitrary_types_allowed=True
    )

    name: str
    environment: dict[str, Scalar] = Field(default_factory=dict)
    dependencies: list[Dependency] = Field(default_factory=list)
    path: list[str] = Field(default_factory=list)
    credentials: Credentials = Field(default_factory=Credentials)
    post_install: str = ""

    @property
    def sections(self) -> dict[str, dict[str, Property]]:
        return dict(self.model_extra or {})


def generate(
    process: ManagedProcess, settings: BackendSettings, composition: SystemdComposition = SystemdComposition()
) -> Generated:
    """The systemd output of ``process``: its unit, ``.wants`` links, prestart script and dysnomia-support.

    ``process.dependencies`` are :class:`Dependency` values (their ``name``
    is the unit name without ``.service``); ``process.overrides`` is the
    systemd part only (what ``resolve(params, "systemd")`` keeps).
    """
    params = systemd_params(process, settings, composition)
    generated = _created(params, settings, composition)
    prestart = prestart_file(process.name)
    if not any(in_output(prestart) in to_string(value) for value in params.sections.get("Service", {}).values()):
        return generated
    script = prestart_script(process.initialize, composition.shell)
    return replace(generated, files={**generated.files, prestart: script})


def create(
    params: Mapping[str, Any], settings: BackendSettings, composition: SystemdComposition = SystemdComposition()
) -> Generated:
    """createSystemdService called directly with its own parameters."""
    return _created(_validated(params, "createSystemdService"), settings, composition)


def prestart_file(name: str) -> str:
    """Where ``initialize`` of process ``name`` goes in the output."""
    return f"libexec/systemd/{name}-prestart"


def systemd_params(
    process: ManagedProcess, settings: BackendSettings, composition: SystemdComposition = SystemdComposition()
) -> SystemdServiceParams:
    """createSystemdService's parameters for ``process``, overrides applied."""
    _check_unit_name(composition.prefix + process.name, process.name)
    chosen = choose_invocation(process, Mode.FOREGROUND)
    service: dict[str, Property] = {}
    if chosen is not None:
        service["ExecStart"] = syntax.command_line(
            chosen.executable, [to_string(arg) for arg in chosen.args], process.name
        )
        service["Type"] = "forking" if chosen.is_daemon else "simple"
    if process.initialize:
        run_as_root = "+" if determine_user(process.user, settings.force_disable_user_change) is not None else ""
        prestart = syntax.word(in_output(prestart_file(process.name)), expands_variables=True)
        service["ExecStartPre"] = run_as_root + prestart
    if process.readiness is not None:
        service |= _readiness_properties(process.readiness, process.name,
                                         composition.wait_ready or settings.wait_ready)
    line_values = {
        "WorkingDirectory": process.directory,
        "UMask": process.umask,
        "Nice": process.nice,
        "PIDFile": process.pid_file if chosen is not None and chosen.is_daemon else None,
        "User": process.user,
    }
    for key, value in line_values.items():
        if value is not None:
            service[key] = syntax.line_value(to_string(value), key, process.name)
    generated: dict[str, Any] = {
        "name": process.name,
        "path": process.path,
        "environment": process.environment,
        "dependencies": process.dependencies,
        "credentials": process.credentials.model_dump(by_alias=True, exclude_unset=True),
        "postInstall": process.post_install,
        "Service": service,
    }
    if process.description is not None:
        description = syntax.line_value(syntax.text(process.description), "description", process.name)
        generated["Unit"] = {"Description": description}
    return _validated(apply_overrides(generated, process.overrides), f"systemd parameters of process '{process.name}'")


def _readiness_properties(readiness: Readiness, name: str, wait_ready: str | None) -> dict[str, Property]:
    """``ExecStartPost=`` waiting for the process's readiness, so ``systemctl start`` returns once it is
    ready and fails (stopping the process) when it is not; ``TimeoutStartSec=`` gives that wait its
    timeout on top of systemd's default. A ``logLine`` check is left to the switch (the output is in the journal)."""
    argv = wait_ready_argv(readiness, name, wait_ready)
    if argv is None:
        return {}
    return {
        "ExecStartPost": syntax.command_line(argv[0], argv[1:], name),
        "TimeoutStartSec": DEFAULT_START_TIMEOUT + whole_seconds(readiness.timeout),
    }


def create_systemd_service(
    params: SystemdServiceParams, settings: BackendSettings, composition: SystemdComposition = SystemdComposition()
) -> dict[str, GeneratedFile | Symlink]:
    """createSystemdService: ``etc/systemd/system/<prefix><name>.service``, ``.wants`` links, dysnomia-support.

    ``Environment=`` lines (``PATH`` from ``base_packages ++ path`` first
    merged in) end ``[Service]``; ``Wants=``/``After=`` on the dependencies'
    units end ``[Unit]``. Each ``.wants`` link points at the dependency's
    unit in its own output, or next to this unit when that output's path is
    not known (a profile holds both).
    """
    unit = _check_unit_name(composition.prefix + params.name, params.name)
    environment = append_path_to_environment(params.environment, [*composition.base_packages, *params.path])
    check_shell_variable_names(environment, params.name)
    sections = params.sections
    if environment:
        sections.setdefault("Service", {})
    if params.dependencies:
        sections.setdefault("Unit", {})

    rendered: list[tuple[str, list[tuple[str, str]]]] = []
    for title in attr_names(sections):
        properties = sections[title]
        lines = [
            (key, _property_line(title, key, properties[key], params.name))
            for key in attr_names(properties)
            if not (settings.force_disable_user_change and key in _USER_KEYS)
        ]
        if title == "Service":
            lines += [
                ("Environment", syntax.word(f"{variable}={to_string(environment[variable])}", expands_variables=False))
                for variable in attr_names(environment)
            ]
        if title == "Unit" and params.dependencies:
            units = " ".join(f"{dependency.name}.service" for dependency in params.dependencies)
            lines += [("Wants", units), ("After", units)]
        rendered.append((title, lines))

    output: dict[str, GeneratedFile | Symlink] = {
        f"etc/systemd/system/{unit}.service": GeneratedFile(
            _TEMPLATES.get_template("unit.service.j2").render(sections=rendered)
        )
    }
    for dependency in params.dependencies:
        dependency_unit = f"{dependency.name}.service"
        target = f"../{dependency_unit}"
        if dependency.out_path:
            target = f"{dependency.out_path}/etc/systemd/system/{dependency_unit}"
        output[f"etc/systemd/system/{unit}.service.wants/{dependency_unit}"] = Symlink(target)
    for relative, content in dysnomia_support_files(
        params.credentials, settings.ids, settings.force_disable_user_change
    ).items():
        output[f"dysnomia-support/{relative}"] = GeneratedFile(content)
    return output


def _created(params: SystemdServiceParams, settings: BackendSettings, composition: SystemdComposition) -> Generated:
    """The unit output under upstream's derivation name, ``<prefix><name>``, which dependents name in ``Wants=``."""
    return Generated(
        name=composition.prefix + params.name,
        files=create_systemd_service(params, settings, composition),
        post_install=params.post_install,
    )


def _validated(arguments: Mapping[str, Any], what: str) -> SystemdServiceParams:
    """The parameters, with every section checked to be an attribute set of properties."""
    params = validate_as(SystemdServiceParams, arguments, what)
    for title, properties in params.sections.items():
        if not _SECTION_TITLE.fullmatch(title):
            raise EvalError(f"invalid {what}: {title!r} cannot be a unit file section title")
        try:
            _SECTION.validate_python(properties)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in (title, *first["loc"]))
            raise EvalError(f"invalid {what}: {where}: {first['msg']}") from None
    return params


def _property_line(title: str, key: str, value: Property, process_name: str) -> str:
    """A property's value as upstream writes it (``toString``), refused if it would break the line."""
    if not _PROPERTY_KEY.fullmatch(key):
        raise EvalError(f"{key!r} in section [{title}] of process '{process_name}' cannot be a unit file key")
    text = to_string(value)
    if "\n" in text or "\r" in text or text.endswith("\\"):
        raise EvalError(f"{title}.{key} of process '{process_name}' cannot be written on one line of a unit file")
    return text


def _check_unit_name(unit: str, process_name: str) -> str:
    """``unit`` when it can name both a systemd unit and the output's store path, else an error naming the process."""
    if not _UNIT_NAME.fullmatch(unit) or len(unit) > MAX_NAME_LEN:
        raise EvalError(f"process name '{process_name}' cannot form the systemd unit name '{unit}.service'")
    return unit
