"""The launchd backend's generator: a managed process → a launchd property list (SPEC §3.5).

As upstream, :func:`generate` maps createManagedProcess's parameters onto
createLaunchdDaemon's (foreground mode preferred: ``Program`` is the process
itself, or the foreground proxy (§2.4) when ``initialize`` must run first, in
which case the proxy switches to the user; a daemon-only process runs under
the wrapping proxy), lets ``overrides.launchd`` have the last word, and
:func:`create_launchd_daemon` writes ``Library/LaunchDaemons/<Label>.plist``:
every parameter other than ``name``, ``path``, ``credentials`` and
``postInstall`` is a key of the property list, so any launchd key can be set
through the overrides. launchd has no dependency ordering: dependencies only
give a warning.

The property list is written by :mod:`plistlib`, so every string is XML
escaped; launchd does not run here, so the tests check the files by reading
them back with :mod:`plistlib`, not by loading them into launchd.

Differences from upstream, each what a user would expect:

- strings are XML-escaped (upstream writes ``<``, ``&`` and ``>`` raw) and a
  carriage return is written as ``&#13;`` so that XML parsers keep it;
- ``Umask`` is an integer (the octal digits of ``umask`` read as octal;
  upstream writes the string), ``Nice`` an integer, and the arguments in
  ``ProgramArguments`` strings (upstream keeps numbers as ``<integer>``);
- a key set to null is left out (upstream writes the key without a value,
  which is not a valid property list);
- names and labels that cannot name the output or the file are refused,
  naming the process.

launchd cannot gate a start on a check, so a ``readiness`` check (ours) is
left to the switch, which polls it after ``launchctl`` started the job.
"""
from __future__ import annotations

import plistlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from nixproc_disnix.backends.common.backend import Generated
from nixproc_disnix.backends.common.credentials import dysnomia_support_files
from nixproc_disnix.backends.common.foreground_proxy import (
    ForegroundProxy,
    ProxyTools,
    foreground_invocation,
    invocation_proxy,
)
from nixproc_disnix.backends.common.output import GeneratedFile, Symlink
from nixproc_disnix.backends.common.overrides import apply_overrides
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.common.trace import trace
from nixproc_disnix.backends.common.util import append_path_to_environment, check_shell_variable_names
from nixproc_disnix.errors import EvalError
from nixproc_disnix.model.credentials import Credentials
from nixproc_disnix.model.nix_json import to_string
from nixproc_disnix.model.process import ManagedProcess
from nixproc_disnix.model.validation import validate_as
from nixproc_disnix.store.paths import check_store_path_name

_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot hold, not even as character references."""

_PLIST_INTEGER = range(-(2**63), 2**64)

_CARRIAGE_RETURN = "\ufffe"
"""Stands for a carriage return while plistlib writes: it would turn a raw one into a line
feed (as XML parsers do), so each becomes the reference ``&#13;`` afterwards. Values
cannot hold this non-character themselves (:data:`_NOT_IN_XML`)."""


@dataclass(frozen=True)
class LaunchdComposition:
    """createLaunchdDaemon's composition: the prefix of default labels, and where the foreground proxy runs."""

    prefix: str = "org.nixos."
    proxy: ProxyTools = field(default_factory=lambda: ProxyTools(platform="darwin"))


class LaunchdDaemonParams(BaseModel):
    """createLaunchdDaemon's parameters: four named ones, every other one a key of the property list."""

    model_config = ConfigDict(
        strict=True, extra="allow", alias_generator=to_camel, populate_by_name=True, arbitrary_types_allowed=True
    )

    name: str
    path: list[str] = Field(default_factory=list)
    credentials: Credentials = Field(default_factory=Credentials)
    post_install: str = ""

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def generate(
    process: ManagedProcess, settings: BackendSettings, composition: LaunchdComposition = LaunchdComposition()
) -> Generated:
    """The launchd output of ``process``: its property list, the proxy if used, and dysnomia-support.

    ``process.overrides`` is the launchd part only (what ``resolve(params, "launchd")`` keeps).
    """
    params, proxy = launchd_params(process, settings, composition)
    generated = _created(params, settings, composition)
    if process.dependencies:
        trace(
            f"WARNING: process '{process.name}' has dependencies, but launchd has no notion of them: "
            "it may start the process before the processes it depends on"
        )
    if proxy is None or proxy.executable not in _strings(params.properties):
        return generated
    return replace(generated, files={**generated.files, proxy.path: proxy.script})


def create(
    params: Mapping[str, Any], settings: BackendSettings, composition: LaunchdComposition = LaunchdComposition()
) -> Generated:
    """createLaunchdDaemon called directly with its own parameters."""
    return _created(validate_as(LaunchdDaemonParams, params, "createLaunchdDaemon"), settings, composition)


def launchd_params(
    process: ManagedProcess, settings: BackendSettings, composition: LaunchdComposition = LaunchdComposition()
) -> tuple[LaunchdDaemonParams, ForegroundProxy | None]:
    """createLaunchdDaemon's parameters for ``process``, overrides applied, and the proxy they may name."""
    name = _checked_name(process.name)
    chosen = foreground_invocation(process, "launchd")
    chainload_user = None if not process.initialize or settings.force_disable_user_change else process.user
    proxy = None
    if chosen.is_daemon or process.initialize:
        proxy = invocation_proxy(name, chosen, process, settings, composition.proxy,
                                 instance_name=process.instance_name, user=chainload_user)
        program, *args = proxy.argv
    else:
        program, args = chosen.executable, [to_string(arg) for arg in chosen.args]
    generated: dict[str, Any] = {
        "name": name,
        "credentials": process.credentials.model_dump(by_alias=True, exclude_unset=True),
        "postInstall": process.post_install,
        "Program": program,
    }
    if args:
        generated["ProgramArguments"] = [program, *args]
    if process.environment:
        generated["EnvironmentVariables"] = process.environment
    if process.path:
        generated["path"] = process.path
    if process.directory is not None:
        generated["WorkingDirectory"] = process.directory
    if process.umask is not None:
        generated["Umask"] = _integer(process.umask, 8, "umask", name)
    if process.nice is not None:
        generated["Nice"] = _integer(process.nice, 10, "nice", name)
    if process.user is not None and chainload_user is None:
        generated["UserName"] = process.user
    arguments = apply_overrides(generated, process.overrides)
    return validate_as(LaunchdDaemonParams, arguments, f"launchd parameters of process '{name}'"), proxy


def create_launchd_daemon(
    params: LaunchdDaemonParams, settings: BackendSettings, composition: LaunchdComposition = LaunchdComposition()
) -> dict[str, GeneratedFile | Symlink]:
    """createLaunchdDaemon: ``Library/LaunchDaemons/<Label>.plist`` and the dysnomia-support files.

    ``postInstall`` is build-time shell for whoever writes the output into
    the store; it is not part of the files.
    """
    name = _checked_name(params.name)
    keys = params.properties
    variables = keys.get("EnvironmentVariables") or {}
    if not isinstance(variables, Mapping):
        raise EvalError(f"EnvironmentVariables of launchd daemon '{name}' must be an attribute set")
    environment = append_path_to_environment({key: to_string(value) for key, value in variables.items()}, params.path)
    check_shell_variable_names(environment, name)
    properties = {"Label": f"{composition.prefix}{name}", **keys}
    if environment:
        properties["EnvironmentVariables"] = environment
    if settings.force_disable_user_change:
        properties.pop("UserName", None)
    label = properties["Label"]
    if not isinstance(label, str) or not label or "/" in label or label in (".", "..") or _NOT_IN_XML.search(label):
        raise EvalError(f"launchd label {label!r} of process '{name}' cannot name a property list file")

    document = plistlib.dumps(_plist_value(properties, "", name), sort_keys=True)
    text = document.decode("utf-8").replace(_CARRIAGE_RETURN, "&#13;")
    output: dict[str, GeneratedFile | Symlink] = {f"Library/LaunchDaemons/{label}.plist": GeneratedFile(text)}
    for relative, content in dysnomia_support_files(
        params.credentials, settings.ids, settings.force_disable_user_change
    ).items():
        output[f"dysnomia-support/{relative}"] = GeneratedFile(content)
    return output


def _created(params: LaunchdDaemonParams, settings: BackendSettings, composition: LaunchdComposition) -> Generated:
    return Generated(
        name=params.name,
        files=create_launchd_daemon(params, settings, composition),
        post_install=params.post_install,
    )


def _plist_value(value: Any, where: str, name: str) -> Any:
    """``value`` as plistlib writes it; null entries of sets and lists are left out."""
    if isinstance(value, bool) or isinstance(value, float):
        return value
    if isinstance(value, int):
        if value not in _PLIST_INTEGER:
            raise EvalError(f"property list value '{where}' of launchd daemon '{name}' is too large an integer")
        return value
    if isinstance(value, str):
        if _NOT_IN_XML.search(value):
            raise EvalError(
                f"property list value '{where}' of launchd daemon '{name}' contains a character XML cannot hold"
            )
        return value.replace("\r", _CARRIAGE_RETURN)
    if isinstance(value, Mapping):
        for key in value:
            if _NOT_IN_XML.search(key):
                raise EvalError(f"property list key {key!r} of launchd daemon '{name}' contains a character XML cannot hold")
        return {
            key.replace("\r", _CARRIAGE_RETURN): _plist_value(item, f"{where}.{key}" if where else key, name)
            for key, item in value.items()
            if item is not None
        }
    if isinstance(value, list):
        return [_plist_value(item, f"{where}[{index}]", name) for index, item in enumerate(value) if item is not None]
    if callable(value):
        raise EvalError(f"property list value '{where}' of launchd daemon '{name}' is a function, which a property list cannot hold")
    raise EvalError(f"property list value '{where}' of launchd daemon '{name}' cannot be a {type(value).__name__}")


def _strings(value: Any) -> str:
    """Every string in ``value``, joined: where to look for a reference to the proxy."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "\n".join(_strings(item) for item in value.values())
    if isinstance(value, list):
        return "\n".join(_strings(item) for item in value)
    return ""


def _integer(value: str | int, base: int, parameter: str, name: str) -> int:
    """``umask`` (octal digits) or ``nice`` as the integer launchd expects."""
    try:
        return int(str(value), base)
    except ValueError:
        raise EvalError(f"{parameter} {value!r} of process '{name}' is not a number launchd can use") from None


def _checked_name(name: str) -> str:
    """The name names the output; a store path name."""
    try:
        check_store_path_name(name, name)
    except EvalError as error:
        raise EvalError(f"launchd process name {name!r} cannot name its output: {error.message}") from None
    return name
