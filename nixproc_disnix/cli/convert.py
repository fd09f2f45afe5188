"""``nixproc convert``: a processes model as a Disnix services model (JSON, XML or Nix sources)."""
from __future__ import annotations

import os
from typing import Any

import click

from .common import run
from .options import ProcessManagerChoice, pkgs_option
from .state_dirs import state_dir_options, state_dirs


@click.command("convert", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("model", envvar="NIXPROC_PROCESSES", type=click.Path())
@click.option("-P", "--process-manager", type=ProcessManagerChoice(), envvar="NIXPROC_PROCESS_MANAGER",
              help="Services for this manager [default: agnostic managed-process services].")
@state_dir_options
@click.option("--extra-params", help="Nix attribute set of extra parameters for the processes model.")
@pkgs_option
@click.option("-I", "include", multiple=True, help="Add a search path entry (PREFIX=PATH or PATH).")
@click.option("--store-dir", envvar="NIXPROC_STORE_DIR", help="The store the packages' paths are in.")
@click.option("--format", "output_format", type=click.Choice(["json", "xml", "nix"]), default="json",
              show_default=True, help="Evaluated JSON or XML, or a services.nix source for disnix-env.")
@click.option("--json", "output_format", flag_value="json", help="The same as --format json.")
@click.option("--output-dir", type=click.Path(file_okay=False),
              help="Write services.{json,xml,nix} here; with nix also infrastructure.nix and distribution.nix.")
@click.option("--target", "targets", multiple=True, metavar="NAME[=HOSTNAME]",
              help="A machine of the infrastructure (repeatable) [default: localhost].")
@click.option("--target-process-manager", type=ProcessManagerChoice(), default="sysvinit", show_default=True,
              help="The manager that runs agnostic services on the targets (their managed-process container).")
@click.option("--show-trace", is_flag=True, help="Show where an evaluation error came from.")
def convert(model: str, process_manager: str | None, extra_params: str | None, pkgs: str,
            include: tuple[str, ...], store_dir: str | None, output_format: str, output_dir: str | None,
            targets: tuple[str, ...], target_process_manager: str, show_trace: bool, **options: Any) -> None:
    """Compile the processes model MODEL into a Disnix services model."""
    from ..deploy.build import BuildRequest

    request = BuildRequest(process_manager=process_manager, model=model, state_dirs=state_dirs(options),
                           extra_params=extra_params, pkgs=pkgs, include=include)

    def compile_model() -> dict[str, str]:
        from ..compiler.services import (
            LOCALHOST,
            compile_services,
            distribution_source,
            infrastructure_source,
            services_source,
            with_managed_process_container,
        )
        from ..store.store import open_store

        with open_store(store_dir) as store:
            services = compile_services(store, request)
        if output_format == "json":
            return {"services.json": services.render_json()}
        if output_format == "xml":
            return {"services.xml": services.render_xml()}
        from ..model.services import Target

        machines = [Target.parse(value) for value in targets] or [LOCALHOST]
        if process_manager is None:
            machines = with_managed_process_container(machines, target_process_manager, request.state_dirs)
        files = {"services.nix": services_source(services, request, output_dir or os.getcwd())}
        if output_dir is not None:
            files["infrastructure.nix"] = infrastructure_source(machines)
            files["distribution.nix"] = distribution_source(services, machines)
        return files

    files = run(compile_model, show_trace)
    if output_dir is None:
        click.echo(next(iter(files.values())), nl=False)
        return
    from ..idassign import write_atomically

    os.makedirs(output_dir, exist_ok=True)
    for name, content in files.items():
        write_atomically(os.path.join(output_dir, name), content)
        click.echo(os.path.join(output_dir, name))
