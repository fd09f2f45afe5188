"""``nixproc-build``: build a processes model's deployment profile and print its store path."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ..errors import EvalError
from .common import fail, run
from .options import ProcessManagerChoice, pkgs_option, quiet_option
from .progress import ProgressDisplay
from .state_dirs import state_dir_options, state_dirs

if TYPE_CHECKING:
    from ..model.results import BuildResult


@click.command("nixproc-build", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("model", required=False, envvar="NIXPROC_PROCESSES", type=click.Path())
@click.option("-P", "--process-manager", type=ProcessManagerChoice(), envvar="NIXPROC_PROCESS_MANAGER",
              help="The process manager to build the configuration for.")
@click.option("--undeploy", is_flag=True, help="Build the empty configuration (everything undeployed).")
@state_dir_options
@click.option("--extra-params", help="Nix attribute set of extra parameters for the processes model.")
@pkgs_option
@click.option("-I", "include", multiple=True, help="Add a search path entry (PREFIX=PATH or PATH).")
@click.option("--store-dir", envvar="NIXPROC_STORE_DIR", help="The store to build into.")
@click.option("-o", "--out-link", default="result", show_default=True, help="Link to the result.")
@click.option("--no-out-link", is_flag=True, help="Do not create the result link.")
@click.option("--show-trace", is_flag=True, help="Show where an evaluation error came from.")
@quiet_option
@click.option("--json", "as_json", is_flag=True,
              help="Print the result as JSON: the profile's store path, the result link, the store paths built.")
def nixproc_build(model: str | None, process_manager: str | None, undeploy: bool, extra_params: str | None,
                  pkgs: str, include: tuple[str, ...], store_dir: str | None, out_link: str, no_out_link: bool,
                  show_trace: bool, quiet: bool, as_json: bool, **options: Any) -> None:
    """Build the processes model MODEL for a process manager and print the profile's store path."""
    if process_manager is None:
        fail(EvalError("No process manager specified!"))
    if not undeploy and not model:
        fail(EvalError("No processes expression provided!"))
    dirs = state_dirs(options)

    def build() -> BuildResult:
        from ..deploy.build import BuildRequest, build_profile_result
        from ..store.store import open_store

        request = BuildRequest(
            process_manager=process_manager, model=None if undeploy else model, state_dirs=dirs,
            extra_params=extra_params, pkgs=pkgs, include=include,
        )
        with open_store(store_dir) as store, ProgressDisplay(quiet) as display:
            return build_profile_result(store, request, None if no_out_link else out_link, display)

    result = run(build, show_trace)
    if not undeploy and model:
        from ..deploy.ports import taken_assigned_ports

        for warning in taken_assigned_ports(model):
            click.echo(warning, err=True)
    click.echo(result.render_json() if as_json else result.profile, nl=not as_json)
