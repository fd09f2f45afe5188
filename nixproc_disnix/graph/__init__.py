"""``nixproc graph``: the dependency graph of a processes or services model, as DOT, SVG or PNG."""
from nixproc_disnix.graph.dot import GraphModel, GraphService, dependency_graph, render, render_dot
from nixproc_disnix.graph.models import GraphRequest, graph_model

__all__ = ["GraphModel", "GraphRequest", "GraphService", "dependency_graph", "graph_model", "render", "render_dot"]
