"""Finding and calling a Dysnomia module as the ``dysnomia`` command does (SPEC §6.1).

A module is named by its type or given as a path. A name is looked up in
the modules path (``DYSNOMIA_MODULES_PATH``, and for Disnix deployments a
container provider's ``libexec/dysnomia``) and then among our own module
types; a module found on disk is run as a program with the plugin
protocol, one of ours is called in this process with the same arguments
and environment.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nixproc_disnix.dysnomia.installed import MODULE_PROGRAM
from nixproc_disnix.dysnomia.module import ModuleCall, Report, default_state_dir
from nixproc_disnix.dysnomia.modules import MODULE_TYPES, run_module
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.dysnomia import ContainerConfig, read_container_config

DEFAULT_CONTAINERS_PATH = "/etc/dysnomia/containers"
DEFAULT_COMPONENTS_PATH = "/etc/dysnomia/components"


def search_path(value: str | None, default: str | None = None) -> list[str]:
    """A colon-separated path variable's directories (``default`` when unset or empty)."""
    return [entry for entry in (value or default or "").split(":") if entry]


def is_path(argument: str) -> bool:
    """Dysnomia's rule: an argument starting with ``/`` or ``./`` is a path, anything else a name."""
    return argument.startswith(("/", "./"))


def find_module(module: str, modules_path: Sequence[str]) -> str | None:
    """The executable of ``module``; None for one of our own types not overridden in ``modules_path``.

    A path to a directory means the one module in its ``libexec/dysnomia``.
    """
    if is_path(module):
        if not os.path.isdir(module):
            return module
        libexec = os.path.join(module, "libexec", "dysnomia")
        entries = sorted(os.listdir(libexec)) if os.path.isdir(libexec) else []
        if len(entries) != 1:
            raise DeployError(f"'{module}' must provide exactly one module in libexec/dysnomia, not {len(entries)}")
        return os.path.join(libexec, entries[0])
    for directory in modules_path:
        candidate = os.path.join(directory, module)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    if module in MODULE_TYPES:
        return None
    raise DeployError(f"Dysnomia module '{module}' not found in the modules path or among ours ({', '.join(MODULE_TYPES)})")


def find_container(container: str, containers_path: Sequence[str]) -> ContainerConfig:
    """The container configuration ``container`` names: a path, or a file in the containers path."""
    if is_path(container):
        return read_container_config(container)
    for directory in containers_path:
        candidate = os.path.join(directory, container)
        if os.path.isfile(candidate):
            return read_container_config(candidate)
    raise DeployError(f"container '{container}' not found in {':'.join(containers_path) or 'the containers path'}")


def find_component(component: str, container_name: str, components_path: Sequence[str]) -> str:
    """The component ``component`` names: a path, or ``<components dir>/<container>/<component>``."""
    if is_path(component):
        return os.path.abspath(component)
    for directory in components_path:
        candidate = os.path.join(directory, container_name, component)
        if os.path.exists(candidate):
            return candidate
    raise DeployError(f"component '{component}' of container '{container_name}' not found in the components path")


def module_environment(properties: Mapping[str, str], caller: Mapping[str, str], keep_caller: bool) -> dict[str, str]:
    """What a module runs with: the container's properties (all but ``type``), the caller's ``PATH`` and
    ``DYSNOMIA_STATEDIR``; with ``keep_caller`` (``--environment``) on top of the caller's whole environment."""
    environment = dict(caller) if keep_caller else {}
    environment.update((name, value) for name, value in properties.items() if name != "type")
    environment["PATH"] = caller.get("PATH", os.defpath)
    environment["DYSNOMIA_STATEDIR"] = default_state_dir(caller)
    return environment


@dataclass(frozen=True)
class Invocation:
    """One module call: the module (type or path), activity, component path, container name, environment."""

    module: str
    activity: str
    component: str
    container: str
    environment: Mapping[str, str]


def invoke(invocation: Invocation, modules_path: Sequence[str], report: Report, wrapper: Sequence[str] = ()) -> None:
    """Carry out ``invocation``; a failing module raises ``DeployError``.

    ``wrapper`` is a command the module runs under (e.g. ``ip netns exec
    NAME``); then even one of ours runs as a program, ``nixproc-dysnomia-module``.
    """
    executable = find_module(invocation.module, modules_path)
    call = ModuleCall(
        type=os.path.basename(executable) if executable else invocation.module, activity=invocation.activity,
        component=invocation.component, container=invocation.container, environment=invocation.environment,
        report=report,
    )
    if executable is None and not wrapper:
        run_module(call)
        return
    program = [executable] if executable else [MODULE_PROGRAM, invocation.module]
    call.run([*wrapper, *program, invocation.activity, invocation.component, invocation.container])


def command_invocation(
    operation: str,
    component: str,
    container: str | None,
    module_type: str | None,
    keep_environment: bool,
    caller: Mapping[str, str],
) -> Invocation:
    """What ``dysnomia -o OP -c COMPONENT [-C CONTAINER] [--type TYPE] [-E]`` runs.

    Without ``--type`` the container configuration (``-C``) gives the
    module (its ``type`` property) and the properties; with it, the
    container is only a name (default: the type) and the properties come
    from the environment (``-E``).
    """
    if module_type is None:
        if container is None:
            raise DeployError("no container configuration given (-C) and no module type (--type)")
        config = find_container(container, search_path(caller.get("DYSNOMIA_CONTAINERS_PATH"), DEFAULT_CONTAINERS_PATH))
        if config.type is None:
            raise DeployError(f"container '{config.name}' has no type property naming its Dysnomia module")
        module, name, properties = config.type, config.name, config.properties
    else:
        module, name, properties = module_type, container or os.path.basename(module_type), {}
    components_path = search_path(caller.get("DYSNOMIA_COMPONENTS_PATH"), DEFAULT_COMPONENTS_PATH)
    return Invocation(
        module=module,
        activity=operation,
        component=find_component(component, name, components_path),
        container=name,
        environment=module_environment(properties, caller, keep_environment),
    )
