"""The models ``nixproc graph`` draws, evaluated into a :class:`~nixproc_disnix.graph.dot.GraphModel`.

A processes model is compiled as ``nixproc convert`` does (each instance a
service, its process dependencies as edges, labelled with the process
manager). A Disnix services model is read the way id-assign reads one:
called with empty ``distribution``/``invDistribution``, and per service only
``name``, ``type`` and the names of its ``dependsOn``/``activatesAfter``/
``connectsTo`` services are forced, so packages are never built. Either may
come with an infrastructure and a distribution model, which place services
on targets.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.compiler.eval.values import Attrs, show_type
from nixproc_disnix.compiler.services import compile_services
from nixproc_disnix.deploy.build import BuildRequest, make_evaluator
from nixproc_disnix.errors import GraphError
from nixproc_disnix.graph.dot import DEPENDENCY_KINDS, PROCESS_DEPENDENCY, GraphModel, GraphService
from nixproc_disnix.idassign.models import (
    call_with_declared,
    callable_value,
    distribution_of,
    eval_extra_params,
    lazy_pkgs,
    text,
)
from nixproc_disnix.model.ids import DistributionTable
from nixproc_disnix.store.store import Store


@dataclass(frozen=True)
class GraphRequest:
    """What to draw: ``build.model`` (a processes model) or else ``services`` (a Disnix services model).

    ``build`` also carries what evaluating either needs (``--pkgs``, ``-I``,
    ``--extra-params``; the state directories and process manager only matter
    for a processes model). ``distribution`` needs ``infrastructure``.
    """

    build: BuildRequest
    services: str | None = None
    infrastructure: str | None = None
    distribution: str | None = None


def graph_model(store: Store, request: GraphRequest) -> GraphModel:
    """Evaluate the request's models into the services and placements to draw."""
    if (request.build.model is None) == (request.services is None):
        raise GraphError("give either a processes model or a services model (-s), not both or neither")
    if request.infrastructure is not None and request.distribution is None:
        raise GraphError("an infrastructure model (-i) is only used with a distribution model (-d)")
    if request.distribution is not None and request.infrastructure is None:
        raise GraphError("An infrastructure expression must be specified with a distribution expression!")
    for path, what in ((request.services, "services"), (request.infrastructure, "infrastructure"),
                       (request.distribution, "distribution")):
        if path is not None and not os.path.exists(path):
            raise GraphError(f"{what} model '{path}' does not exist")
    ev: Evaluator | None = None
    if request.services is None:
        services = _processes_services(store, request.build)
    else:
        ev = make_evaluator(store, replace(request.build, model=None))
        services = _services_model_services(ev, request.services, request.build.extra_params)
    distribution = None
    if request.infrastructure is not None and request.distribution is not None:
        ev = ev or make_evaluator(store, request.build)
        distribution = _distribution(ev, request.infrastructure, request.distribution, request.build.extra_params)
        unknown = sorted(set(distribution.targets) - set(services))
        if unknown:
            raise GraphError(f"the distribution model maps '{unknown[0]}', which is not a service of the model")
    return GraphModel(services=services, distribution=distribution)


def _processes_services(store: Store, build: BuildRequest) -> dict[str, GraphService]:
    """Instances labelled with the process manager (agnostic: ``managed-process``), edges their dependencies."""
    compiled = compile_services(store, build)
    return {
        name: GraphService(name=name, kind=build.process_manager or service.type,
                           dependencies={PROCESS_DEPENDENCY: tuple(service.depends_on)} if service.depends_on else {})
        for name, service in compiled.root.items()
    }


def _services_model_services(ev: Evaluator, path: str, extra_params: str | None) -> dict[str, GraphService]:
    """Services labelled with their Dysnomia type, edges to the services their dependency attributes name."""
    extra = eval_extra_params(ev, extra_params)
    arguments = Attrs({**extra, "system": ev.system, "pkgs": lazy_pkgs(ev, ev.system),
                       "distribution": Attrs(), "invDistribution": Attrs()})
    model = call_with_declared(ev, ev.eval_file(os.path.abspath(path)), arguments, "services model")
    if type(model) is not Attrs:
        raise GraphError(f"the services model must evaluate to an attribute set, but it is {show_type(model)}")
    services = {}
    for attribute in sorted(model):
        name = text(attribute)
        service = ev.force_attrs(model[attribute])
        if "name" not in service:
            raise GraphError(f"service '{name}' of the services model has no name attribute")
        if text(ev.force(service["name"])) != name:
            raise GraphError(f"service '{name}' is named '{text(ev.force(service['name']))}'; "
                             f"a service's name must be its attribute name")
        kind = text(ev.force(service["type"])) if "type" in service else None
        dependencies = {kind_name: _dependency_names(ev, name, kind_name, service[kind_name])
                        for kind_name in DEPENDENCY_KINDS if kind_name in service}
        services[name] = GraphService(name=name, kind=kind,
                                      dependencies={k: names for k, names in dependencies.items() if names})
    return services


def _dependency_names(ev: Evaluator, service: str, kind: str, value: Any) -> tuple[str, ...]:
    """The names of the services an inter-dependency attribute set refers to (their ``name``)."""
    names = []
    dependencies = ev.force_attrs(value)
    for argument in sorted(dependencies):
        dependency = ev.force(dependencies[argument])
        if type(dependency) is not Attrs or "name" not in dependency:
            raise GraphError(f"{kind}.{text(argument)} of service '{service}' is not a service "
                             f"(it is {show_type(dependency)} without a name)")
        names.append(text(ev.force(dependency["name"])))
    return tuple(names)


def _distribution(ev: Evaluator, infrastructure: str, distribution: str, extra_params: str | None) -> DistributionTable:
    """The distribution table over the infrastructure's targets (a model file may be a function of extra params)."""
    extra = eval_extra_params(ev, extra_params)
    targets = ev.eval_file(os.path.abspath(infrastructure))
    if callable_value(targets):
        targets = call_with_declared(ev, targets, extra, "infrastructure model")
    return distribution_of(ev, targets, ev.eval_file(os.path.abspath(distribution)), extra)
