"""``dydisnix-id-assign`` and ``nixproc-id-assign``: upstream's options over ``idassign.models``."""
from __future__ import annotations

import sys
from collections.abc import Callable

import click

from ..errors import IdAssignError
from ..idassign import write_atomically
from ..idassign.models import (
    ProcessesModel,
    ServicesModels,
    assign_for_processes,
    assign_for_services,
    processes_model_files,
)
from ..model.ids import DEFAULT_SERVICE_PROPERTY, Ids
from .common import fail, run
from .state_dirs import state_dir_options, state_dirs

_CONTEXT = {"help_option_names": ["-h", "--help"]}

_skip_ports_in_use = click.option(
    "--skip-ports-in-use", is_flag=True,
    help="New ids of port resources (named *Ports, *ports, *Port) skip the TCP ports this machine "
         "listens on; ids kept from --ids stay.")

_json = click.option("--json", "output_json", is_flag=True,
                     help="Write the assignments as JSON (to standard output unless --output-file).")


def _renderer(output_xml: bool, output_json: bool) -> Callable[[Ids], str]:
    """How the assignments are written: Nix (upstream's default), ``--output-xml`` or ``--json``."""
    if output_xml and output_json:
        fail(IdAssignError("--output-xml and --json cannot be combined"))
    return Ids.render_xml if output_xml else Ids.render_json if output_json else Ids.render_nix


def _emit(ids: Ids, render: Callable[[Ids], str], output_file: str | None) -> None:
    """Print the assignments, or replace ``output_file`` with them in one step (only after success)."""
    text = render(ids)
    if output_file is None or output_file == "-":
        sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
        sys.stdout.buffer.flush()
    else:
        try:
            write_atomically(output_file, text)
        except OSError as error:
            fail(IdAssignError(f"cannot write '{output_file}': {error.strerror}"))


@click.command("dydisnix-id-assign", context_settings=_CONTEXT)
@click.option("-s", "--services", help="Services model (Nix expression or, with --xml, XML).")
@click.option("-i", "--infrastructure", help="Infrastructure model.")
@click.option("-d", "--distribution", help="Distribution model; with it, ids are assigned per distribution.")
@click.option("--id-resources", help="ID resources model: the pools ids come from.")
@click.option("--ids", help="Previous assignments to keep.")
@click.option("--service-property", default=DEFAULT_SERVICE_PROPERTY, show_default=True,
              help="Service attribute listing the resources a service needs ids for.")
@click.option("--output-file", help="Write to this file (replaced only on success) instead of standard output.")
@click.option("--output-xml", is_flag=True, help="Write XML instead of a Nix expression.")
@click.option("--xml", is_flag=True, help="The input models are XML files.")
@click.option("--extra-params", help="Nix attribute set of extra parameters for the models.")
@_json
@_skip_ports_in_use
@click.option("--show-trace", is_flag=True, help="Show where an evaluation error came from.")
def dydisnix_id_assign(services: str | None, infrastructure: str | None, distribution: str | None,
                       id_resources: str | None, ids: str | None, service_property: str,
                       output_file: str | None, output_xml: bool, xml: bool, extra_params: str | None,
                       output_json: bool, skip_ports_in_use: bool, show_trace: bool) -> None:
    """Assign unique ids (ports, uids, gids) to the services of a Disnix services model."""
    render = _renderer(output_xml, output_json)
    if services is None:
        fail(IdAssignError("A services expression must be specified!"))
    if id_resources is None:
        fail(IdAssignError("An ID resources expression must be specified!"))
    models = ServicesModels(services=services, id_resources=id_resources, infrastructure=infrastructure,
                            distribution=distribution, ids=ids, service_property=service_property,
                            extra_params=extra_params, xml=xml, skip_ports_in_use=skip_ports_in_use)
    _emit(run(lambda: assign_for_services(models), show_trace), render, output_file)


@click.command("nixproc-id-assign", context_settings=_CONTEXT)
@click.argument("processes", required=False, envvar="NIXPROC_PROCESSES", type=click.Path())
@click.option("--id-resources", help="ID resources model [default: idresources.nix beside the processes model].")
@click.option("--ids", help="Previous assignments [default: ids.nix beside the processes model, if it exists].")
@click.option("--service-property", default=DEFAULT_SERVICE_PROPERTY, show_default=True,
              help="Instance attribute listing the resources an instance needs ids for.")
@state_dir_options
@click.option("--output-file", help="Write here instead of updating the ids file ('-': standard output).")
@click.option("--output-xml", is_flag=True, help="Write XML (to standard output unless --output-file).")
@click.option("--extra-params", help="Nix attribute set merged into the processes model's arguments.")
@_json
@_skip_ports_in_use
@click.option("--show-trace", is_flag=True, help="Show where an evaluation error came from.")
def nixproc_id_assign(processes: str | None, id_resources: str | None, ids: str | None, service_property: str,
                      output_file: str | None, output_xml: bool, extra_params: str | None, output_json: bool,
                      skip_ports_in_use: bool, show_trace: bool, **options: str | None) -> None:
    """Assign unique ids to the process instances of a processes model, updating its ids.nix."""
    render = _renderer(output_xml, output_json)
    if not processes:
        fail(IdAssignError("A processes Nix expression must be provided!"))
    resources, previous, ids_file = run(lambda: processes_model_files(processes, id_resources, ids))
    parameters = state_dirs(options).model_arguments()
    model = ProcessesModel(processes=processes, id_resources=resources, ids=previous,
                           service_property=service_property, parameters=parameters, extra_params=extra_params,
                           skip_ports_in_use=skip_ports_in_use)
    result = run(lambda: assign_for_processes(model), show_trace)
    printed = output_xml or output_json
    _emit(result, render, output_file if output_file is not None or printed else ids_file)
