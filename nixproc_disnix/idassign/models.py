"""Evaluating id-assign's input models into the plain data of ``model/ids.py``.

dydisnix-id-assign reads a services model (plus, in distribution mode, an
infrastructure and a distribution model); nixproc-id-assign reads a processes
model the way upstream's services adapter does (SPEC §4.2, §8.1). Only what
id-assign looks at is forced: per service just its service-property
attribute, so ``pkg`` attributes that would need real packages (or
``<nixpkgs>``) are never evaluated.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.compiler.eval.instantiate import make_evaluator
from nixproc_disnix.compiler.eval.values import Attrs, Closure, CStr, Lazy, NixPath, is_function, show_type
from nixproc_disnix.errors import EvalError, IdAssignError
from nixproc_disnix.idassign.assign import assign_ids
from nixproc_disnix.idassign.ports import listening_ports, ports_in_use
from nixproc_disnix.model.ids import (
    DEFAULT_SERVICE_PROPERTY,
    DistributionTable,
    IdRequirements,
    IdResources,
    Ids,
)


@dataclass(frozen=True)
class Opaque:
    """Stands for a value plain data cannot hold: a function or a derivation."""

    kind: str


def text(nix_string: str) -> str:
    """A Nix string (its bytes decoded as latin-1, as the evaluator keeps them) as real text.

    Bytes that are not UTF-8 survive as surrogates, so nothing is lost.
    """
    return str(nix_string).encode("latin-1").decode("utf-8", "surrogateescape")


def nix_string(value: str) -> str:
    """The inverse of :func:`text`: command-line text as the evaluator's latin-1 string."""
    return value.encode("utf-8", "surrogateescape").decode("latin-1")


def to_python(ev: Evaluator, value: Any) -> Any:
    """A Nix value forced deeply into ints, floats, bools, None, strings, lists and dicts.

    Strings (and attribute names) become real text without their context,
    paths become their text, functions and derivations become
    :class:`Opaque` without forcing anything inside them.
    """
    value = ev.force(value)
    kind = type(value)
    if kind is CStr or kind is str:
        return text(value)
    if kind is NixPath:
        return text(value.path)
    if kind is list:
        return [to_python(ev, item) for item in value]
    if kind is Attrs:
        if "type" in value and ev.force(value["type"]) == "derivation":
            return Opaque("derivation")
        if "__functor" in value:
            return Opaque("function")
        result = {}
        for name in sorted(value):
            try:
                result[text(name)] = to_python(ev, value[name])
            except EvalError as error:
                error.trace.append((f"while evaluating the attribute '{name}'",
                                    value.positions.get(name) if value.positions else None))
                raise
        return result
    if value is None or kind in (bool, int, float):
        return value
    return Opaque("function")


def call_with_declared(ev: Evaluator, function: Any, args: Mapping[str, Any], what: str) -> Any:
    """Call a model function with the arguments it declares (Nix's ``intersectAttrs (functionArgs f)``).

    A function with ``...`` gets every argument; one with a plain argument
    (``x: …``) declares none and gets ``{}``.
    """
    function = ev.force(function)
    if type(function) is Closure:
        formals = function.expr.formals
        if formals is None:
            passed = Attrs()
        elif formals.ellipsis:
            passed = Attrs(args)
        else:
            passed = Attrs({f.name: args[f.name] for f in formals.formals if f.name in args})
        return ev.force(ev.call(function, passed))
    if not callable_value(function):
        raise IdAssignError(f"the {what} must be a function, but it is {show_type(function)}")
    return ev.force(ev.call(function, Attrs(args)))


def callable_value(value: Any) -> bool:
    """Whether Nix can call ``value`` (a lambda, a builtin or a set with ``__functor``)."""
    return is_function(value) or (type(value) is Attrs and "__functor" in value)


def lazy_pkgs(ev: Evaluator, system: str) -> Lazy:
    """``import <nixpkgs> { inherit system; }`` (ours without a nixpkgs), evaluated only if a model uses ``pkgs``."""
    return Lazy(lambda: ev.call(ev.force(ev.eval_file(ev.find_file("nixpkgs"))), Attrs({"system": system})))


def eval_extra_params(ev: Evaluator, expression: str | None) -> Attrs:
    """``--extra-params``: a Nix attribute set expression (default ``{}``)."""
    if not expression:
        return Attrs()
    value = ev.force(ev.eval_string(nix_string(expression)))
    if type(value) is not Attrs:
        raise IdAssignError(f"--extra-params must be an attribute set, but it is {show_type(value)}")
    return value


def requirements_of(ev: Evaluator, services: Any, service_property: str, what: str) -> IdRequirements:
    """Which resources each service requires, forcing only its ``service_property`` attribute."""
    services = ev.force(services)
    if type(services) is not Attrs:
        raise IdAssignError(f"the {what} must evaluate to an attribute set, but it is {show_type(services)}")
    data: dict[str, dict[str, Any]] = {}
    attribute = nix_string(service_property)
    for name in services:
        try:
            service = ev.force(services[name])
            if type(service) is not Attrs:
                raise IdAssignError(f"{what}: {name} must be an attribute set, but it is {show_type(service)}")
            data[text(name)] = {service_property: to_python(ev, service[attribute])} \
                if attribute in service else {}
        except EvalError as error:
            error.trace.append((f"while evaluating the {what} attribute '{name}'",
                                services.positions.get(name) if services.positions else None))
            raise
    return IdRequirements.from_services(data, service_property)


def distribution_of(ev: Evaluator, infrastructure: Any, distribution: Any, extra: Attrs) -> DistributionTable:
    """Service → names of its targets; targets are recognised as the infrastructure's own attrsets.

    Both the plain form (``[ infrastructure.test1 ]``) and the advanced form
    (``{ targets = [ { target = infrastructure.test1; container = …; } ]; }``)
    are read (SPEC §7.3).
    """
    targets = ev.force(infrastructure)
    if type(targets) is not Attrs:
        raise IdAssignError(f"the infrastructure model must evaluate to an attribute set, "
                            f"but it is {show_type(targets)}")
    forced_targets = {name: ev.force(targets[name]) for name in targets}
    by_identity = {id(value): text(name) for name, value in forced_targets.items()}
    mapping = call_with_declared(ev, distribution, Attrs({**extra, "infrastructure": targets}),
                                 "distribution model")
    if type(mapping) is not Attrs:
        raise IdAssignError(f"the distribution model must evaluate to an attribute set, "
                            f"but it is {show_type(mapping)}")

    def target_name(service: str, value: Any) -> str:
        value = ev.force(value)
        name = by_identity.get(id(value))
        if name is None:
            name = next((text(n) for n, t in forced_targets.items() if ev.equal(t, value)), None)
        if name is None:
            raise IdAssignError(f"distribution model: service '{text(service)}' is mapped to a target "
                                f"that is not in the infrastructure model")
        return name

    table: dict[str, list[str]] = {}
    for service in mapping:
        entry = ev.force(mapping[service])
        if type(entry) is Attrs and "targets" in entry:
            entry = [ev.force_attrs(item)["target"] for item in ev.force_list(entry["targets"])]
        if type(entry) is not list:
            raise IdAssignError(f"distribution model: the mapping of '{service}' must be a list of targets, "
                                f"but it is {show_type(entry)}")
        table[text(service)] = [target_name(service, item) for item in entry]
    return DistributionTable.from_data(table)


@dataclass
class ServicesModels:
    """The files of ``dydisnix-id-assign``; ``xml`` means they are XML instead of Nix.

    ``skip_ports_in_use``: new port ids avoid the ports this machine listens on (``idassign.ports``).
    """

    services: str
    id_resources: str
    infrastructure: str | None = None
    distribution: str | None = None
    ids: str | None = None
    service_property: str = DEFAULT_SERVICE_PROPERTY
    extra_params: str | None = None
    xml: bool = False
    skip_ports_in_use: bool = False


@dataclass
class ProcessesModel:
    """The inputs of ``nixproc-id-assign``: a processes model and the builder parameters to call it with.

    ``parameters`` holds only what the user set (state directories,
    ``forceDisableUserChange``), so the model's own defaults apply otherwise.
    ``skip_ports_in_use`` as in :class:`ServicesModels`.
    """

    processes: str
    id_resources: str
    ids: str | None = None
    service_property: str = DEFAULT_SERVICE_PROPERTY
    parameters: dict[str, Any] = field(default_factory=dict)
    extra_params: str | None = None
    skip_ports_in_use: bool = False


def assign_for_services(models: ServicesModels) -> Ids:
    """dydisnix-id-assign: evaluate (or parse) the models and assign ids."""
    if models.xml:
        return _assign_for_services_xml(models)
    ev = make_evaluator([])
    extra = eval_extra_params(ev, models.extra_params)
    base = Attrs({**extra, "system": ev.system, "pkgs": lazy_pkgs(ev, ev.system),
                  "distribution": Attrs(), "invDistribution": Attrs()})
    services = call_with_declared(ev, ev.eval_file(os.path.abspath(models.services)), base, "services model")
    requirements = requirements_of(ev, services, models.service_property, "services model")
    distribution = None
    if models.distribution is not None:
        if models.infrastructure is None:
            raise IdAssignError("An infrastructure expression must be specified with a distribution expression!")
        distribution = distribution_of(ev, _eval_model(ev, models.infrastructure, extra, "infrastructure model"),
                                       ev.eval_file(os.path.abspath(models.distribution)), extra)
    return _assign(requirements, _resources(ev, models.id_resources), read_ids(ev, models.ids),
                   distribution, models.skip_ports_in_use)


def assign_for_processes(model: ProcessesModel) -> Ids:
    """nixproc-id-assign: call the processes model as upstream's adapter does and assign ids.

    The model gets ``processManager`` (``null``: agnostic), ``pkgs`` (lazy),
    ``system`` and the user's ``parameters``, with ``--extra-params`` on top,
    restricted to the arguments it declares.
    """
    ev = make_evaluator([])
    args = Attrs({"processManager": None, "system": ev.system, "pkgs": lazy_pkgs(ev, ev.system),
                  **model.parameters, **eval_extra_params(ev, model.extra_params)})
    processes = call_with_declared(ev, ev.eval_file(os.path.abspath(model.processes)), args, "processes model")
    requirements = requirements_of(ev, processes, model.service_property, "processes model")
    return _assign(requirements, _resources(ev, model.id_resources), read_ids(ev, model.ids), None,
                   model.skip_ports_in_use)


def _assign(requirements: IdRequirements, resources: IdResources, previous: Ids | None,
            distribution: DistributionTable | None, skip_ports_in_use: bool) -> Ids:
    """The pure assignment, with this machine's listening ports as taken ids when asked to."""
    taken = ports_in_use(resources, listening_ports()) if skip_ports_in_use else None
    return assign_ids(requirements, resources, previous, distribution, taken)


def _eval_model(ev: Evaluator, path: str, extra: Attrs, what: str) -> Any:
    """A model file's value; a function is called with the extra parameters it declares."""
    value = ev.eval_file(os.path.abspath(path))
    return call_with_declared(ev, value, extra, what) if callable_value(value) else value


def _resources(ev: Evaluator, path: str) -> IdResources:
    return IdResources.from_data(to_python(ev, ev.eval_file(os.path.abspath(path))))


def read_ids(ev: Evaluator, path: str | None) -> Ids | None:
    """An ids.nix (as id-assign writes it), evaluated; None without a path."""
    return None if path is None else Ids.from_data(to_python(ev, ev.eval_file(os.path.abspath(path))))


def _assign_for_services_xml(models: ServicesModels) -> Ids:
    """``--xml``: every input is the XML form dydisnix-xml writes (SPEC §8.1, §8.2)."""
    requirements = IdRequirements.parse_xml(_read(models.services), models.services, models.service_property)
    distribution = None
    if models.distribution is not None:
        distribution = DistributionTable.parse_xml(_read(models.distribution), models.distribution)
    resources = IdResources.parse_xml(_read(models.id_resources), models.id_resources)
    previous = None if models.ids is None else Ids.parse_xml(_read(models.ids), models.ids)
    return _assign(requirements, resources, previous, distribution, models.skip_ports_in_use)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise IdAssignError(f"cannot read '{path}': {error.strerror}") from None


def processes_model_files(processes: str, id_resources: str | None, ids: str | None) -> tuple[str, str | None, str]:
    """nixproc-id-assign's files: (id resources, previous ids if any, the ids file to update).

    Both default to the files a processes model keeps beside itself,
    ``idresources.nix`` and ``ids.nix`` (SPEC §1.6); a missing ``ids.nix``
    means starting empty, and is where the new assignments go.
    """
    if not os.path.exists(processes):
        raise IdAssignError(f"processes model '{processes}' does not exist")
    directory = os.path.dirname(os.path.abspath(processes))
    if id_resources is None:
        id_resources = os.path.join(directory, "idresources.nix")
        if not os.path.exists(id_resources):
            raise IdAssignError("An ID resources configuration must be provided!")
    target = ids if ids is not None else os.path.join(directory, "ids.nix")
    previous = target if ids is not None or os.path.exists(target) else None
    return id_resources, previous, target
