"""The cygrunsrv backend's generator: a managed process → the parameters of a Cygwin service (SPEC §3.6).

As upstream, :func:`generate` maps createManagedProcess's parameters onto
createCygrunsrvParams's (foreground mode preferred: the process itself, or
the foreground proxy (§2.4) when ``initialize``, ``nice``, ``directory`` or
``umask`` must be applied; a daemon-only process runs under the wrapping
proxy), lets ``overrides.cygrunsrv`` have the last word, and
:func:`create_cygrunsrv_params` writes ``<prefix><name>-cygrunsrvparams``.
Dysnomia installs the service with ``cygrunsrv --install <name>`` followed
by the file's lines, each one argument (``xargs -d '\\n'``), so a value
that holds a line break is refused. As upstream, ``--args`` is one line of
shell-quoted arguments and each ``--env`` value is written
``'NAME=value'`` with ``\\'`` for a quote inside. cygrunsrv services run as
Cygwin's own account mapping: ``user`` and ``credentials`` only give a
warning, and no dysnomia-support is written.

cygrunsrv only runs on Windows, so the tests check the file line by line
and parse ``--args`` back with :mod:`shlex`.

Differences from upstream, each what a user would expect:

- ``directory`` and ``umask`` are applied, by the proxy, in both modes
  (upstream passes them to a proxy that ignores them, or not at all);
- names that cannot name the output or the file are refused, naming the
  process.

cygrunsrv cannot gate a start on a check, so a ``readiness`` check (ours) is
left to the switch, which polls it after ``cygrunsrv --start``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from nixproc_disnix.backends.common.backend import Dependency, Generated
from nixproc_disnix.backends.common.foreground_proxy import (
    ForegroundProxy,
    ProxyTools,
    foreground_invocation,
    invocation_proxy,
)
from nixproc_disnix.backends.common.output import GeneratedFile, Symlink
from nixproc_disnix.backends.common.overrides import apply_overrides
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.common.templates import template_environment
from nixproc_disnix.backends.common.trace import trace
from nixproc_disnix.backends.common.util import (
    append_path_to_environment,
    check_shell_variable_names,
    escape_shell_args,
)
from nixproc_disnix.errors import EvalError
from nixproc_disnix.model.nix_json import attr_names, to_string
from nixproc_disnix.model.process import ManagedProcess, Scalar
from nixproc_disnix.model.validation import validate_as
from nixproc_disnix.store.paths import check_store_path_name

_TEMPLATES = template_environment(__package__)


@dataclass(frozen=True)
class CygrunsrvComposition:
    """createCygrunsrvParams's composition: the prefix of service names, and where the foreground proxy runs."""

    prefix: str = "nix-process-"
    proxy: ProxyTools = field(default_factory=lambda: ProxyTools(platform="cygwin"))


class CygrunsrvParams(BaseModel):
    """createCygrunsrvParams's parameters; an unknown one is refused, as Nix refuses an unexpected argument.

    ``path`` is the executable to run; ``environmentPath`` the packages whose
    ``bin/`` make up ``PATH``.
    """

    model_config = ConfigDict(
        strict=True, extra="forbid", alias_generator=to_camel, populate_by_name=True, arbitrary_types_allowed=True
    )

    name: str
    display_name: str | None = None
    path: str
    args: list[Scalar] = Field(default_factory=list)
    environment: dict[str, Scalar] = Field(default_factory=dict)
    type: str = "auto"
    user: str | None = None
    password: str | None = None
    stdin: str | None = None
    stdout: str | None = None
    stderr: str | None = None
    terminate_signal: str = "TERM"
    terminate_on_shutdown: bool = False
    dependencies: list[Dependency] = Field(default_factory=list)
    environment_path: list[str] = Field(default_factory=list)
    post_install: str = ""


def generate(
    process: ManagedProcess, settings: BackendSettings, composition: CygrunsrvComposition = CygrunsrvComposition()
) -> Generated:
    """The cygrunsrv output of ``process``: its parameters file, and the proxy if used.

    ``process.dependencies`` are :class:`Dependency` values (their ``name``
    is the service name); ``process.overrides`` is the cygrunsrv part only.
    """
    params, proxy = cygrunsrv_params(process, settings, composition)
    generated = _created(params, composition)
    if process.user is not None or process.credentials.groups or process.credentials.users:
        trace(
            f"WARNING: process '{process.name}' asks for a user or accounts, which cygrunsrv services cannot have: "
            "Cygwin maps Windows users to UNIX users itself"
        )
    if proxy is None or params.path != proxy.executable:
        return generated
    return replace(generated, files={**generated.files, proxy.path: proxy.script})


def create(
    params: Mapping[str, Any], settings: BackendSettings, composition: CygrunsrvComposition = CygrunsrvComposition()
) -> Generated:
    """createCygrunsrvParams called directly with its own parameters."""
    return _created(validate_as(CygrunsrvParams, params, "createCygrunsrvParams"), composition)


def cygrunsrv_params(
    process: ManagedProcess, settings: BackendSettings, composition: CygrunsrvComposition = CygrunsrvComposition()
) -> tuple[CygrunsrvParams, ForegroundProxy | None]:
    """createCygrunsrvParams's parameters for ``process``, overrides applied, and the proxy they may name.

    As upstream the proxy gets the explicit PID file only, not the instance
    name: without one it looks for ``<runtimeDir>/<executable name>.pid``.
    """
    name = process.name
    _checked_name(name, composition)
    chosen = foreground_invocation(process, "cygrunsrv")
    direct = not chosen.is_daemon and not process.initialize and all(
        value is None for value in (process.nice, process.directory, process.umask)
    )
    proxy = None
    if direct:
        executable, args = chosen.executable, [to_string(arg) for arg in chosen.args]
    else:
        proxy = invocation_proxy(name, chosen, process, settings, composition.proxy,
                                 nice=process.nice, directory=process.directory, umask=process.umask)
        executable, *args = proxy.argv
    generated: dict[str, Any] = {
        "name": name,
        "path": executable,
        "args": args,
        "environment": process.environment,
        "environmentPath": process.path,
        "dependencies": process.dependencies,
        "postInstall": process.post_install,
    }
    arguments = apply_overrides(generated, process.overrides)
    return validate_as(CygrunsrvParams, arguments, f"cygrunsrv parameters of process '{name}'"), proxy


def create_cygrunsrv_params(
    params: CygrunsrvParams, composition: CygrunsrvComposition = CygrunsrvComposition()
) -> dict[str, GeneratedFile | Symlink]:
    """createCygrunsrvParams: ``<prefix><name>-cygrunsrvparams``, one cygrunsrv argument per line.

    ``postInstall`` is build-time shell for whoever writes the output into
    the store; it is not part of the files.
    """
    service = _checked_name(params.name, composition)
    environment = append_path_to_environment(params.environment, params.environment_path)
    check_shell_variable_names(environment, params.name)
    parameters: list[tuple[str, str | None]] = [
        ("--path", params.path),
        ("--disp", params.display_name if params.display_name is not None else service),
    ]
    if params.type != "auto":
        parameters.append(("--type", params.type))
    if params.args:
        parameters.append(("--args", escape_shell_args(params.args)))
    for variable in attr_names(environment):
        parameters.append(("--env", "'" + f"{variable}={to_string(environment[variable])}".replace("'", "\\'") + "'"))
    optional = (
        ("--user", params.user),
        ("--passwd", params.password),
        ("--stdin", params.stdin),
        ("--stdout", params.stdout),
        ("--stderr", params.stderr),
        ("--termsig", None if params.terminate_signal == "TERM" else params.terminate_signal),
    )
    parameters.extend((option, value) for option, value in optional if value is not None)
    if params.terminate_on_shutdown:
        parameters.append(("--shutdown", None))
    parameters.extend(("--dep", dependency.name) for dependency in params.dependencies)

    for option, value in parameters:
        if value is not None and ("\n" in value or "\0" in value):
            raise EvalError(
                f"{option} of cygrunsrv service '{service}' contains a line break, "
                "but the parameters file holds one argument per line"
            )
    content = _TEMPLATES.get_template("cygrunsrvparams.j2").render(parameters=parameters)
    return {f"{service}-cygrunsrvparams": GeneratedFile(content)}


def _created(params: CygrunsrvParams, composition: CygrunsrvComposition) -> Generated:
    return Generated(
        name=f"{composition.prefix}{params.name}",
        files=create_cygrunsrv_params(params, composition),
        post_install=params.post_install,
    )


def _checked_name(name: str, composition: CygrunsrvComposition) -> str:
    """``<prefix><name>`` names the output, the service and its file: a store path name."""
    service = f"{composition.prefix}{name}"
    try:
        check_store_path_name(service, service)
    except EvalError as error:
        raise EvalError(f"cygrunsrv process name {name!r} cannot name its output: {error.message}") from None
    return service
