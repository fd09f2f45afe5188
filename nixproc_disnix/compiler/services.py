"""Processes model → Disnix services model (SPEC §4.1, §4.4).

Every process instance becomes a service named after its attribute, typed by
``derive-dysnomia-process-type.nix`` from the process manager, whose package
is the instance's ``pkg`` and whose ``dependsOn`` names the instances whose
packages it depends on. Two products:

- the evaluated model (:func:`compile_services`), for JSON/XML output;
- a ``services.nix`` source (:func:`services_source`) that real Disnix reads,
  importing the processes model rather than copying it, with the matching
  ``infrastructure.nix`` and ``distribution.nix``.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.compiler.eval.values import Attrs, CStr, NixPath
from nixproc_disnix.compiler.printer import show_id, show_string
from nixproc_disnix.deploy.build import BuildRequest, make_evaluator, model_arguments
from nixproc_disnix.errors import EvalError
from nixproc_disnix.idassign.models import nix_string, text
from nixproc_disnix.model.services import Service, ServicesModel, Target
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store.store import Store

LOCALHOST = Target(name="localhost", hostname="localhost")

DEFAULT_TARGET_PROCESS_MANAGER = "sysvinit"
"""The manager that runs agnostic (``managed-process``) services on a target unless told otherwise."""


def dysnomia_type(ev: Evaluator, process_manager: str | None) -> str:
    """§4.1's mapping, from our framework's ``derive-dysnomia-process-type.nix``."""
    derive = ev.eval_file(f"{ev.find_file('nix-processmgmt')}/nixproc/derive-dysnomia-process-type.nix")
    manager = None if process_manager is None else nix_string(process_manager)
    return text(ev.force(ev.call(derive, Attrs({"processManager": manager}))))


def compile_services(store: Store, request: BuildRequest) -> ServicesModel:
    """The evaluated services model of ``request.model`` for ``request.process_manager`` (None: agnostic)."""
    ev = make_evaluator(store, request)
    service_type = dysnomia_type(ev, request.process_manager)
    call = ev.eval_file(f"{ev.find_file('nix-processmgmt')}/nixproc/call-processes-model.nix")
    arguments = model_arguments(ev, request)
    processes = ev.force_attrs(ev.call(call, Attrs({
        "processManager": None if request.process_manager is None else nix_string(request.process_manager),
        "exprFile": arguments.pop("exprFile"),
        "extraParams": arguments.pop("extraParams"),
        "args": Attrs(arguments),
    })))
    packages: dict[str, Attrs] = {}
    by_out_path: dict[str, str] = {}
    for name in sorted(processes):
        with _instance(processes, name):
            instance = ev.force_attrs(processes[name])
            if "pkg" not in instance:
                raise EvalError(f"process instance '{name}' has no 'pkg' attribute")
            packages[name] = ev.force_attrs(instance["pkg"])
            by_out_path[_out_path(ev, packages[name], f"the pkg of process instance '{name}'")] = name
    services = {}
    for name, pkg in packages.items():
        with _instance(processes, name):
            services[name] = _service(ev, name, ev.force_attrs(processes[name]), pkg, by_out_path, service_type)
    return ServicesModel(services)


@contextmanager
def _instance(processes: Attrs, name: str) -> Iterator[None]:
    """Errors while compiling instance ``name`` point at it in the processes model when they arise in our files."""
    try:
        yield
    except EvalError as err:
        err.trace.append((f"while evaluating the process instance '{name}'",
                          processes.positions.get(name) if processes.positions else None))
        raise


def _service(ev: Evaluator, name: str, instance: Attrs, pkg: Attrs, by_out_path: dict[str, str],
             service_type: str) -> Service:
    dependencies = ev.force_list(pkg["dependencies"]) if "dependencies" in pkg else []
    depends_on = []
    for dependency in dependencies:
        out_path = _out_path(ev, ev.force_attrs(dependency), f"a dependency of process '{name}'")
        if out_path not in by_out_path:
            raise EvalError(f"process '{name}' depends on '{out_path}', which no instance of the model provides")
        depends_on.append(by_out_path[out_path])
    extra = {
        text(attribute): _plain(ev, instance[attribute])
        for attribute in sorted(instance)
        if attribute not in ("pkg", "name", "type", "dependsOn")
    }
    return Service(
        name=name, type=service_type, pkg=_out_path(ev, pkg, f"the pkg of process instance '{name}'"),
        depends_on=depends_on,
        extra={key: value for key, value in extra.items() if value is not None},
    )


def _out_path(ev: Evaluator, pkg: Attrs, what: str) -> str:
    """The store path of ``pkg``; ``what`` names it when it is no package (no ``outPath``)."""
    if "outPath" not in pkg:
        raise EvalError(f"{what} is not a package: it has no outPath")
    return text(str(ev.force(pkg["outPath"])))


def _plain(ev: Evaluator, value: Any) -> Any:
    """Plain data of a free instance attribute; functions and derivations are left out (None)."""
    value = ev.force(value)
    if type(value) in (str, CStr):
        return text(value)
    if type(value) is NixPath:
        return text(value.path)
    if type(value) in (int, float, bool):
        return value
    if type(value) is list:
        items = [_plain(ev, item) for item in value]
        return None if any(item is None for item in items) else items
    if type(value) is Attrs and "outPath" not in value and "__functor" not in value:
        items = {text(key): _plain(ev, value[key]) for key in sorted(value)}
        return None if any(item is None for item in items.values()) else items
    return None


def services_source(model: ServicesModel, request: BuildRequest, output_dir: str) -> str:
    """``services.nix``: the processes model as a Disnix services model, for real ``disnix-env``."""
    model_path = os.path.relpath(os.path.abspath(str(request.model)), os.path.abspath(output_dir))
    if model_path.startswith("../.."):
        model_path = os.path.abspath(str(request.model))
    elif not model_path.startswith("."):
        model_path = "./" + model_path
    manager = "null" if request.process_manager is None else show_string(request.process_manager)
    given = request.state_dirs.model_arguments()
    header_dirs = "".join(f"\n, {name} ? {_nix_value(value)}" for name, value in given.items())
    inherit_dirs = " ".join(given)
    lines = [
        f"# The processes model {model_path} as a Disnix services model.",
        "# Deploy with: disnix-env -s services.nix -i infrastructure.nix -d distribution.nix",
        "{ system, pkgs, distribution, invDistribution",
        f", processManager ? {manager}",
        ", nix-processmgmt ? <nix-processmgmt>" + header_dirs,
        "}:",
        "",
        "let",
        f"  processesFun = import {model_path};",
        "",
        "  processes = processesFun (builtins.intersectAttrs (builtins.functionArgs processesFun) {",
        f"    inherit pkgs system processManager{(' ' + inherit_dirs) if inherit_dirs else ''};",
        "  });",
        "",
        '  type = import (nix-processmgmt + "/nixproc/derive-dysnomia-process-type.nix") { inherit processManager; };',
        "in",
        "let",
        "  services = {",
    ]
    for name, service in model.root.items():
        lines.append(f"    {_attr(name)} = processes.{_attr(name)} // {{")
        lines.append(f"      name = {show_string(name)};")
        lines.append("      inherit type;")
        if service.depends_on:
            dependencies = " ".join(f"{_attr(d)} = services.{_attr(d)};" for d in service.depends_on)
            lines.append(f"      dependsOn = {{ {dependencies} }};")
        lines.append("    };")
    lines += ["  };", "in", "services"]
    return "\n".join(lines) + "\n"


def infrastructure_source(targets: Sequence[Target]) -> str:
    """``infrastructure.nix``: each target with its hostname and the properties of its containers."""
    lines = ["# The machines to deploy to.", "{"]
    for target in targets:
        lines.append(f"  {_attr(target.name)} = {{")
        lines.append(f"    properties.hostname = {show_string(target.hostname)};")
        for container, properties in target.containers.items():
            lines.append(f"    containers.{_attr(container)} = {{")
            lines += [f"      {_attr(name)} = {show_string(value)};" for name, value in properties.items()]
            lines.append("    };")
        lines.append("  };")
    lines.append("}")
    return "\n".join(lines) + "\n"


def with_managed_process_container(
    targets: Sequence[Target], process_manager: str, state_dirs: StateDirs
) -> list[Target]:
    """``targets`` with a ``managed-process`` container (unless they declare one) whose properties say how the
    target runs agnostic services: with ``process_manager``, in the given state directories."""
    properties = {"processManager": process_manager}
    for name, value in (("stateDir", state_dirs.state_dir), ("runtimeDir", state_dirs.runtime_dir),
                        ("logDir", state_dirs.log_dir), ("tmpDir", state_dirs.tmp_dir),
                        ("cacheDir", state_dirs.cache_dir)):
        if value is not None:
            properties[name] = value
    if state_dirs.force_disable_user_change:
        properties["forceDisableUserChange"] = "1"
    return [target.model_copy(update={"containers": {"managed-process": properties, **target.containers}})
            for target in targets]


def distribution_source(model: ServicesModel, targets: Sequence[Target]) -> str:
    """``distribution.nix``: every service on the first target (edit to spread them out)."""
    first = _attr(targets[0].name)
    lines = ["# Which machine runs which service.", "{ infrastructure }:", "", "{"]
    lines += [f"  {_attr(name)} = [ infrastructure.{first} ];" for name in model.root]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _nix_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return show_string(str(value))


_KEYWORDS = frozenset(("assert", "else", "if", "in", "inherit", "let", "or", "rec", "then", "with"))


def _attr(name: str) -> str:
    """An attribute name, quoted unless it is a plain identifier (keywords too)."""
    return show_string(name) if name in _KEYWORDS else show_id(name)
