"""The pure graph core: placements, DOT text, escaping that Graphviz reads back, and rendering through dot."""
from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import pytest

from nixproc_disnix.errors import GraphError
from nixproc_disnix.graph.dot import (
    PROCESS_DEPENDENCY,
    GraphModel,
    GraphService,
    dependency_graph,
    dot_string,
    render,
    render_dot,
)
from nixproc_disnix.model.ids import DistributionTable

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def dot() -> str:
    """Graphviz's ``dot``; tests that draw fail, not skip, without it (CI installs graphviz)."""
    path = shutil.which("dot")
    assert path is not None, "Graphviz's dot is required (apt-get install graphviz)"
    return path


def webapps(distribution: DistributionTable | None = None) -> GraphModel:
    return GraphModel(services={
        "webapp1": GraphService(name="webapp1", kind="sysvinit"),
        "webapp2": GraphService(name="webapp2", kind="sysvinit", dependencies={PROCESS_DEPENDENCY: ("webapp1",)}),
    }, distribution=distribution)


def svg_parts(drawn: bytes) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Node title → its text lines, cluster titles, edge titles of a Graphviz SVG."""
    root = ET.fromstring(drawn)
    groups = {kind: [g for g in root.iter(f"{SVG}g") if g.get("class") == kind] for kind in ("node", "cluster", "edge")}
    title = {id(g): g.find(f"{SVG}title").text for gs in groups.values() for g in gs}
    nodes = {title[id(g)]: [t.text for t in g.iter(f"{SVG}text")] for g in groups["node"]}
    return nodes, [title[id(g)] for g in groups["cluster"]], [title[id(g)] for g in groups["edge"]]


def test_processes_model_nodes_and_labelled_edges() -> None:
    text = render_dot(dependency_graph(webapps()))
    assert text.startswith("digraph dependencies {\n") and text.endswith("}\n")
    assert '  "webapp1" [label="webapp1\\nsysvinit"];\n' in text
    assert '  "webapp2" -> "webapp1" [label="dependency", style=solid];\n' in text
    assert "subgraph" not in text


def test_one_cluster_per_target_and_edges_to_every_placement() -> None:
    distribution = DistributionTable.from_data({"webapp1": ["test1"], "webapp2": ["test1", "test2"]})
    graph = dependency_graph(webapps(distribution))
    assert sorted(graph.nodes) == [("test1", "webapp1"), ("test1", "webapp2"), ("test2", "webapp2")]
    assert sorted(graph.edges(keys=True)) == [
        (("test1", "webapp2"), ("test1", "webapp1"), PROCESS_DEPENDENCY),
        (("test2", "webapp2"), ("test1", "webapp1"), PROCESS_DEPENDENCY),
    ]
    text = render_dot(graph)
    test1 = text[text.index('subgraph "cluster_test1" {'):text.index('subgraph "cluster_test2" {')]
    assert 'label="test1";' in test1 and '"test1:webapp1" [label=' in test1 and '"test1:webapp2" [label=' in test1
    test2 = text[text.index('subgraph "cluster_test2" {'):]
    assert '"test2:webapp2" [label="webapp2\\nsysvinit"];\n  }' in test2
    assert '"test2:webapp2" -> "test1:webapp1" [label="dependency"' in text


def test_a_service_mapped_nowhere_stays_outside_the_clusters() -> None:
    text = render_dot(dependency_graph(webapps(DistributionTable.from_data({"webapp1": ["test1"]}))))
    assert text.index('  "webapp2" [label=') > text.rindex("  }")
    assert '"webapp2" -> "test1:webapp1"' in text


def test_dependency_kinds_are_labelled_and_styled() -> None:
    model = GraphModel(services={
        "a": GraphService(name="a", kind="process",
                          dependencies={"dependsOn": ("b",), "activatesAfter": ("c",), "connectsTo": ("b",)}),
        "b": GraphService(name="b"), "c": GraphService(name="c"),
    })
    text = render_dot(dependency_graph(model))
    assert '"a" -> "b" [label="connectsTo", style=dotted];' in text
    assert '"a" -> "b" [label="dependsOn", style=solid];' in text
    assert '"a" -> "c" [label="activatesAfter", style=dashed];' in text
    assert '"b" [label="b"];' in text


def test_an_unknown_dependency_is_named() -> None:
    model = GraphModel(services={"a": GraphService(name="a", dependencies={"dependsOn": ("ghost",)})})
    with pytest.raises(GraphError, match="service 'a' depends on 'ghost' \\(dependsOn\\), which is not in the model"):
        dependency_graph(model)


HOSTILE = ['we"b<1>{x}\ny', "back\\slash\\", "}; digraph x {", "<b>html</b>", "quote\"", "\\N \\G", "tab\tand\rcr"]


def test_hostile_names_escape_into_strings_graphviz_reads_back(dot: str) -> None:
    names = HOSTILE
    services = {name: GraphService(name=name, kind='ty"pe}', dependencies={"dependsOn": (names[(i + 1) % len(names)],)})
                for i, name in enumerate(names)}
    distribution = DistributionTable.from_data({name: ['tar"get\n{1}'] for name in names[:3]})
    drawn = render(render_dot(dependency_graph(GraphModel(services=services, distribution=distribution))), "svg")
    nodes, clusters, edges = svg_parts(drawn)
    assert len(nodes) == len(names) and len(edges) == len(names)
    assert clusters == [dot_string('cluster_tar"get\n{1}')[1:-1].replace('\\"', '"')]
    # Identifiers keep escapes as written (one distinct title per name); labels read back exactly.
    for name in names:
        placed = f'tar"get\n{{1}}:{name}' if name in names[:3] else name
        title = dot_string(placed)[1:-1].replace('\\"', '"')
        lines = name.replace("\r", "\n").split("\n")
        assert nodes[title] == [*lines, 'ty"pe}'], name


def test_dot_string_escapes() -> None:
    assert dot_string('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert dot_string("") == '""'


def test_svg_and_png_render(dot: str) -> None:
    text = render_dot(dependency_graph(webapps()))
    nodes, clusters, edges = svg_parts(render(text, "svg"))
    assert nodes == {"webapp1": ["webapp1", "sysvinit"], "webapp2": ["webapp2", "sysvinit"]}
    assert clusters == [] and edges == ["webapp2->webapp1"]
    assert render(text, "png").startswith(b"\x89PNG\r\n\x1a\n")
    assert render(text, "dot") == text.encode()


def test_without_graphviz_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    text = render_dot(dependency_graph(webapps()))
    assert render(text, "dot") == text.encode()
    with pytest.raises(GraphError, match="--format svg needs Graphviz's dot, which is not installed "
                                         "\\(apt-get install graphviz\\)"):
        render(text, "svg")
