"""A model's dependency graph, as Graphviz DOT and, through ``dot``, as SVG or PNG.

Pure core: :class:`GraphModel` (services, their kind and dependencies, and
an optional distribution) → :func:`dependency_graph` (networkx) →
:func:`render_dot`. As disnix-visualize draws a deployment, a distributed
service appears once per target it is mapped to, inside that target's
cluster, and an edge goes to every target of the dependency. Identifiers
and labels are written as quoted DOT strings with every character that
means something there escaped, so any service or target name parses.
"""
from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field

from nixproc_disnix.errors import GraphError
from nixproc_disnix.model.ids import DistributionTable

DEPENDENCY_KINDS = ("dependsOn", "activatesAfter", "connectsTo")
"""A Disnix service's inter-dependency attributes (SPEC §7.1)."""

PROCESS_DEPENDENCY = "dependency"
"""The edge kind of a processes model: a process's ``dependencies``."""

FORMATS = ("dot", "svg", "png")

_EDGE_STYLES = {"dependsOn": "solid", "activatesAfter": "dashed", "connectsTo": "dotted", PROCESS_DEPENDENCY: "solid"}

Placement = tuple[str | None, str]
"""A graph node: (target, service); the target is None when there is no distribution or it maps the service nowhere."""


class GraphService(BaseModel):
    """One service or process instance: what it is (process manager or Dysnomia type) and what it needs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: str | None = None
    dependencies: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Edge kind (:data:`DEPENDENCY_KINDS` or :data:`PROCESS_DEPENDENCY`) → names of other services."""


class GraphModel(BaseModel):
    """What to draw: services by name, and where they run when a distribution is given."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    services: dict[str, GraphService]
    distribution: DistributionTable | None = None


def dependency_graph(model: GraphModel) -> nx.MultiDiGraph:
    """Nodes are placements, edges run from a service to each placement of a dependency, keyed by kind."""
    placements = {name: _placements(model, name) for name in model.services}
    graph = nx.MultiDiGraph()
    for name, service in model.services.items():
        for placement in placements[name]:
            graph.add_node(placement, service=service)
    for name, service in model.services.items():
        for kind, dependencies in service.dependencies.items():
            for dependency in dependencies:
                if dependency not in placements:
                    raise GraphError(f"service '{name}' depends on '{dependency}' ({kind}), which is not in the model")
                for source in placements[name]:
                    for target in placements[dependency]:
                        graph.add_edge(source, target, key=kind)
    return graph


def _placements(model: GraphModel, name: str) -> list[Placement]:
    targets = model.distribution.targets.get(name, ()) if model.distribution is not None else ()
    return [(target, name) for target in targets] or [(None, name)]


def render_dot(graph: nx.MultiDiGraph) -> str:
    """DOT text: one cluster per target (sorted), nodes labelled name and kind, edges labelled and styled by kind."""
    by_target: dict[str | None, list[Placement]] = defaultdict(list)
    for placement in sorted(graph.nodes, key=_order):
        by_target[placement[0]].append(placement)
    lines = ["digraph dependencies {", "  node [shape=box, style=rounded];"]
    for target in sorted(name for name in by_target if name is not None):
        lines.append(f"  subgraph {dot_string('cluster_' + target)} {{")
        lines.append(f"    label={dot_string(target)};")
        lines += [f"    {_node_statement(graph, placement)}" for placement in by_target[target]]
        lines.append("  }")
    lines += [f"  {_node_statement(graph, placement)}" for placement in by_target.get(None, [])]
    edges = sorted(graph.edges(keys=True), key=lambda edge: (_order(edge[0]), _order(edge[1]), edge[2]))
    for source, target, kind in edges:
        lines.append(f"  {dot_string(node_id(source))} -> {dot_string(node_id(target))} "
                     f"[label={dot_string(kind)}, style={_EDGE_STYLES.get(kind, 'solid')}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _order(placement: Placement) -> tuple[str, str]:
    return (placement[0] or "", placement[1])


def _node_statement(graph: nx.MultiDiGraph, placement: Placement) -> str:
    service: GraphService = graph.nodes[placement]["service"]
    label = service.name if service.kind is None else f"{service.name}\n{service.kind}"
    return f"{dot_string(node_id(placement))} [label={dot_string(label)}];"


def node_id(placement: Placement) -> str:
    """A node's DOT identifier (and SVG ``<title>``): the service, prefixed with ``target:`` when placed."""
    target, service = placement
    return service if target is None else f"{target}:{service}"


def dot_string(value: str) -> str:
    """A quoted DOT string standing for ``value``: backslashes, quotes and line breaks escaped.

    In labels Graphviz reads ``\\\\``, ``\\"`` and ``\\n`` back as the
    characters; in identifiers it keeps them as written, which is still one
    identifier per distinct value.
    """
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def render(dot: str, output_format: str) -> bytes:
    """The graph in ``output_format``: the DOT text itself, or what Graphviz's ``dot`` draws from it."""
    source = dot.encode("utf-8", "surrogateescape")
    if output_format == "dot":
        return source
    executable = shutil.which("dot")
    if executable is None:
        from nixproc_disnix.doctor import find_component

        raise GraphError(f"--format {output_format} needs Graphviz's dot, which is not installed "
                         f"({find_component('graphviz').install}); --format dot works without it")
    result = subprocess.run([executable, f"-T{output_format}"], input=source, capture_output=True, check=False)
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GraphError(f"dot -T{output_format} failed: {detail[0] if detail else f'exit status {result.returncode}'}")
    return result.stdout
