"""``nixproc graph``: a processes or services model's dependency graph as DOT, SVG or PNG."""
from __future__ import annotations

import sys
from typing import Any

import click
from click.core import ParameterSource

from ..graph.dot import FORMATS
from ..errors import GraphError
from .common import fail, run
from .options import ProcessManagerChoice, pkgs_option
from .state_dirs import state_dir_options, state_dirs


@click.command("graph", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("model", required=False, envvar="NIXPROC_PROCESSES", type=click.Path())
@click.option("-s", "--services", help="Draw this Disnix services model instead of a processes model.")
@click.option("-i", "--infrastructure", help="Infrastructure model (with -d).")
@click.option("-d", "--distribution", help="Distribution model: one cluster per target, as disnix-visualize.")
@click.option("-P", "--process-manager", type=ProcessManagerChoice(), envvar="NIXPROC_PROCESS_MANAGER",
              help="Evaluate the processes model for this manager [default: agnostic].")
@state_dir_options
@click.option("--extra-params", help="Nix attribute set of extra parameters for the models.")
@pkgs_option
@click.option("-I", "include", multiple=True, help="Add a search path entry (PREFIX=PATH or PATH).")
@click.option("--store-dir", envvar="NIXPROC_STORE_DIR", help="The store evaluation writes derivations into.")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="dot", show_default=True,
              help="DOT text, or SVG/PNG drawn by Graphviz's dot.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of standard output.")
@click.option("--show-trace", is_flag=True, help="Show where an evaluation error came from.")
def graph(model: str | None, services: str | None, infrastructure: str | None, distribution: str | None,
          process_manager: str | None, extra_params: str | None, pkgs: str, include: tuple[str, ...],
          store_dir: str | None, output_format: str, output: str | None, show_trace: bool, **options: Any) -> None:
    """Draw the dependency graph of the processes model MODEL (or of -s SERVICES)."""
    from ..deploy.build import BuildRequest
    from ..graph import GraphRequest, dependency_graph, graph_model, render, render_dot
    from ..idassign import write_atomically
    from ..store.store import open_store

    if services is not None and click.get_current_context().get_parameter_source("model") is ParameterSource.ENVIRONMENT:
        model = None
    build = BuildRequest(process_manager=process_manager, model=model, state_dirs=state_dirs(options),
                         extra_params=extra_params, pkgs=pkgs, include=include)
    request = GraphRequest(build=build, services=services, infrastructure=infrastructure, distribution=distribution)

    def draw() -> bytes:
        with open_store(store_dir) as store:
            evaluated = graph_model(store, request)
        return render(render_dot(dependency_graph(evaluated)), output_format)

    drawn = run(draw, show_trace)
    if output is None or output == "-":
        sys.stdout.buffer.write(drawn)
        sys.stdout.buffer.flush()
    else:
        try:
            write_atomically(output, drawn)
        except OSError as error:
            fail(GraphError(f"cannot write '{output}': {error.strerror}"))
