"""The agnostic managed-process format and its resolved form (SPEC §2.1, §2.2, §2.6).

``ProcessParams`` is what a process's constructor passes to
createManagedProcess, which is also exactly what upstream writes as the
agnostic ``<name>.json`` (``builtins.toJSON`` of the arguments literally
passed): attributes not given stay absent, an explicit ``null`` stays
``null``. ``resolve`` applies the defaults of §2.1 and yields the
``ManagedProcess`` every backend generator consumes.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from nixproc_disnix.errors import EvalError, ThrownError
from nixproc_disnix.model.credentials import Credentials
from nixproc_disnix.model.nix_json import to_json
from nixproc_disnix.model.readiness import Readiness
from nixproc_disnix.model.validation import validate_as

PROCESS_MANAGERS = (
    "bsdrc",
    "cygrunsrv",
    "disnix",
    "docker",
    "launchd",
    "s6-rc",
    "supervisord",
    "systemd",
    "sysvinit",
)
"""The generators createManagedProcess dispatches to (§2.2)."""

NO_NAME_MESSAGE = "No process name was specified or can be inferred!"

# What an argument or environment value may be: upstream stringifies both
# (toString), but the agnostic JSON keeps numbers as numbers.
Scalar = str | int | float | bool | None

_PARAMS = ConfigDict(strict=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class ProcessParams(BaseModel):
    """The arguments of one createManagedProcess call = one agnostic JSON file.

    Unknown attributes are refused, as Nix refuses an unexpected argument.
    ``dependencies`` are store paths of the dependencies' agnostic outputs;
    ``overrides`` is kept verbatim (a callable in it is a Nix function, which
    the JSON cannot hold).
    """

    model_config = _PARAMS

    name: str | None = None
    description: str | None = None
    initialize: str = ""
    process: str | None = None
    args: list[Scalar] = Field(default_factory=list)
    daemon: str | None = None
    daemon_extra_args: list[Scalar] = Field(default_factory=list)
    daemon_args: list[Scalar] = Field(default_factory=list)
    instance_name: str | None = None
    pid_file: str | None = None
    foreground_process: str | None = None
    foreground_process_extra_args: list[Scalar] = Field(default_factory=list)
    foreground_process_args: list[Scalar] = Field(default_factory=list)
    path: list[str] = Field(default_factory=list)
    environment: dict[str, Scalar] = Field(default_factory=dict)
    directory: str | None = None
    umask: str | int | None = None
    nice: str | int | None = None
    user: str | None = None
    dependencies: list[str] = Field(default_factory=list)
    credentials: Credentials = Field(default_factory=Credentials)
    overrides: dict[str, Any] = Field(default_factory=dict)
    post_install: str = ""
    readiness: Readiness | None = None

    @classmethod
    def from_data(cls, value: Any) -> ProcessParams:
        """Validate the evaluated argument set (or a parsed JSON object)."""
        if not isinstance(value, Mapping):
            raise EvalError(f"invalid agnostic process config: expected an attribute set, not {type(value).__name__}")
        return validate_as(cls, value, "agnostic process config")

    @classmethod
    def parse_json(cls, text: str | bytes) -> ProcessParams:
        """Read an agnostic ``<name>.json``."""
        try:
            value = json.loads(text)
        except ValueError as error:
            raise EvalError(f"invalid agnostic process config: {error}") from None
        return cls.from_data(value)

    def to_data(self) -> dict[str, Any]:
        """The literally passed arguments as plain data (absent stays absent)."""
        return self.model_dump(by_alias=True, exclude_unset=True)

    def render_json(self) -> str:
        """The file content upstream's ``builtins.toJSON`` gives for these arguments."""
        return to_json(self.to_data())

    @property
    def config_name(self) -> str | None:
        """The agnostic output's name: ``name`` if it was passed, else ``instanceName``."""
        return self.name if "name" in self.model_fields_set else self.instance_name

    @property
    def config_file_name(self) -> str:
        """``<config_name>.json``, the one file in the agnostic output."""
        if self.config_name is None:
            raise ThrownError(NO_NAME_MESSAGE)
        return f"{self.config_name}.json"


class ManagedProcess(BaseModel):
    """createManagedProcess's parameters after defaulting: what a backend generator receives.

    ``process``, ``args`` and the ``*ExtraArgs`` are gone (folded into the
    daemon and foreground settings). ``dependencies`` are whatever the caller
    resolved them to (store paths, or the dependencies' generated processes).
    ``overrides`` holds only the part for the chosen process manager once
    resolved for one; a callable in it is the function form of §2.3.
    """

    model_config = ConfigDict(strict=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    name: str
    description: str | None
    initialize: str
    daemon: str | None
    daemon_args: list[Scalar]
    foreground_process: str | None
    foreground_process_args: list[Scalar]
    instance_name: str | None
    pid_file: str | None
    path: list[str]
    environment: dict[str, Scalar]
    directory: str | None
    umask: str | int | None
    nice: str | int | None
    user: str | None
    dependencies: list[Any]
    credentials: Credentials
    overrides: Any
    post_install: str
    readiness: Readiness | None = None


def resolve(params: ProcessParams, process_manager: str | None = None) -> ManagedProcess:
    """Apply §2.1's defaults; for a process manager, keep only its overrides (§2.2).

    A default applies only to an absent argument: an explicit ``name = null``
    fails even with an ``instanceName``, an explicit ``daemon = null`` stays
    null even with a ``process``.
    """
    given = params.model_fields_set

    def passed_or(field: str, default: Any) -> Any:
        return getattr(params, field) if field in given else default

    name = passed_or("name", params.instance_name)
    if name is None:
        raise ThrownError(NO_NAME_MESSAGE)
    if process_manager is None:
        overrides: Any = params.overrides
    elif process_manager in PROCESS_MANAGERS:
        overrides = params.overrides.get(process_manager, {})
    else:
        raise ThrownError(f"Unknown process manager: {process_manager}")
    return ManagedProcess(
        name=name,
        description=passed_or("description", name),
        initialize=params.initialize,
        daemon=passed_or("daemon", params.process),
        daemon_args=passed_or("daemon_args", params.args + params.daemon_extra_args),
        foreground_process=passed_or("foreground_process", params.process),
        foreground_process_args=passed_or(
            "foreground_process_args", params.args + params.foreground_process_extra_args
        ),
        instance_name=params.instance_name,
        pid_file=params.pid_file,
        path=params.path,
        environment=params.environment,
        directory=params.directory,
        umask=params.umask,
        nice=params.nice,
        user=params.user,
        dependencies=params.dependencies,
        credentials=params.credentials,
        overrides=overrides,
        post_install=params.post_install,
        readiness=params.readiness,
    )
