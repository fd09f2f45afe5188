"""``nixproc-disnix-env``: deploy a processes model (or Disnix models) with disnix-env, or on this machine without it."""
from __future__ import annotations

import os
import sys
from typing import Any

import click

from ..errors import DeployError
from .common import fail, run
from .options import ProcessManagerChoice, pkgs_option, quiet_option
from .progress import ProgressDisplay
from .state_dirs import state_dir_options, state_dirs

_CONTEXT = {"help_option_names": ["-h", "--help"]}

PASS_THROUGH_FLAGS = ("build_on_targets", "no_upgrade", "no_lock", "no_coordinator_profile", "no_target_profiles",
                      "no_migration", "delete_state", "depth_first", "deploy_state")
"""disnix-env's flags, given to it as they are; our executor reads no_upgrade, no_lock and no_coordinator_profile."""
PASS_THROUGH_VALUES = ("packages", "architecture", "deployment", "interface", "max_concurrent_transfers", "keep")
"""disnix-env's options with a value, given to it as they are."""


def _option_name(parameter: str) -> str:
    return "--" + parameter.replace("_", "-")


@click.command("nixproc-disnix-env", context_settings=_CONTEXT)
@click.argument("model", required=False, envvar="NIXPROC_PROCESSES", type=click.Path())
@click.option("-s", "--services", help="A Disnix services model (instead of a processes MODEL).")
@click.option("-i", "--infrastructure", help="A Disnix infrastructure model.")
@click.option("-d", "--distribution", help="A Disnix distribution model.")
@click.option("--process-manager", type=ProcessManagerChoice(), envvar="NIXPROC_PROCESS_MANAGER",
              help="Compile MODEL for this manager [default: agnostic managed-process services].")
@click.option("--target", "targets", multiple=True, metavar="NAME[=HOSTNAME]",
              help="A machine to deploy MODEL to (repeatable) [default: localhost].")
@click.option("--target-process-manager", type=ProcessManagerChoice(), default="sysvinit",
              show_default=True, help="The manager that runs agnostic services on the targets.")
@click.option("--output-dir", type=click.Path(file_okay=False),
              help="Keep the models compiled from MODEL here [default: a temporary folder].")
@state_dir_options
@click.option("--extra-params", help="Nix attribute set of extra parameters for the models.")
@pkgs_option
@click.option("-I", "include", multiple=True, help="Add a search path entry (PREFIX=PATH or PATH).")
@click.option("--store-dir", envvar="NIXPROC_STORE_DIR", help="Our store (without Disnix).")
@click.option("--local", is_flag=True, help="Deploy with our own executor even when Disnix is installed.")
@click.option("--dry-run", is_flag=True, help="Print the (de)activation steps and change nothing.")
@click.option("--undeploy", is_flag=True, help="Deactivate every service.")
@click.option("--rollback", is_flag=True, help="Go back to the previous deployment.")
@click.option("--switch-to-generation", type=int, metavar="NUM", help="Go to generation NUM of the coordinator profile.")
@click.option("--list-generations", is_flag=True, help="List the coordinator profile's generations.")
@click.option("--delete-generations", metavar="GENS", help="Delete generations (numbers, Nd, +N or old).")
@click.option("--delete-all-generations", is_flag=True, help="Delete the coordinator profile and all its generations.")
@click.option("-p", "--profile", envvar="DISNIX_PROFILE", default="default", show_default=True,
              help="Name of the coordinator profile (env DISNIX_PROFILE).")
@click.option("--coordinator-profile-path", help="Folder of the coordinator profiles.")
@click.option("--target-property", envvar="DISNIX_TARGET_PROPERTY",
              help="Target property to reach machines by [default: hostname] (env DISNIX_TARGET_PROPERTY).")
@click.option("--max-concurrent", type=click.IntRange(min=1),
              help="How many independent services to (de)activate at once here [default: the CPU count].")
@click.option("--no-upgrade", is_flag=True, help="Activate every service of the new configuration, deactivate none.")
@click.option("--no-lock", is_flag=True, help="Do not lock the services (nor this machine) during the transition.")
@click.option("--no-coordinator-profile", is_flag=True, help="Do not record the deployment as a generation.")
@click.option("-P", "--packages", help="Passed to disnix-env: a packages model.")
@click.option("-A", "--architecture", help="Passed to disnix-env: an architecture model.")
@click.option("-D", "--deployment", help="Passed to disnix-env: a deployment model.")
@click.option("--interface", envvar="DISNIX_CLIENT_INTERFACE", help="Passed to disnix-env: the client interface.")
@click.option("-m", "--max-concurrent-transfers", type=int, help="Passed to disnix-env.")
@click.option("--keep", type=int, help="Passed to disnix-env.")
@click.option("--build-on-targets", is_flag=True, help="Passed to disnix-env.")
@click.option("--no-target-profiles", is_flag=True, help="Passed to disnix-env.")
@click.option("--no-migration", is_flag=True, help="Passed to disnix-env.")
@click.option("--delete-state", is_flag=True, help="Passed to disnix-env.")
@click.option("--depth-first", is_flag=True, help="Passed to disnix-env.")
@click.option("--deploy-state", is_flag=True, help="Passed to disnix-env.")
@click.option("--show-trace", is_flag=True, help="Show where an evaluation error came from.")
@click.version_option(None, "-v", "--version", package_name="nixproc-disnix", message="%(prog)s %(version)s")
@quiet_option
def nixproc_disnix_env(model: str | None, services: str | None, infrastructure: str | None, distribution: str | None,
                       process_manager: str | None, targets: tuple[str, ...], target_process_manager: str,
                       output_dir: str | None, extra_params: str | None, pkgs: str, include: tuple[str, ...],
                       store_dir: str | None, local: bool, dry_run: bool, profile: str,
                       coordinator_profile_path: str | None, target_property: str | None,
                       max_concurrent: int | None, show_trace: bool, quiet: bool, **options: Any) -> None:
    """Deploy the processes model MODEL (or -s/-i/-d Disnix models) with disnix-env, or on this machine.

    Without Disnix (or with --local) the targets must be this machine.
    """
    from ..disnix.architecture import DisnixModels
    from ..disnix.env import OPERATIONS, DisnixEnvRequest, ProcessesModel, disnix_env_program, local_disnix_env, \
        run_disnix_env
    from ..model.services import Target
    from ..store.store import open_store

    dirs = state_dirs(options)
    operations = [name for name in OPERATIONS if options.get(name) not in (None, False)]
    if len(operations) > 1:
        fail(DeployError(f"{' and '.join(_option_name(name) for name in operations)} cannot be combined"))
    operation = operations[0] if operations else None
    given = [services, infrastructure, distribution]
    if any(given) and not all(given):
        fail(DeployError("-s, -i and -d go together: a services, an infrastructure and a distribution model"))
    if all(given) and model is not None:
        fail(DeployError("give either a processes model or -s/-i/-d, not both"))
    elsewhere = any(options.get(name) for name in ("packages", "architecture", "deployment"))
    if operation is None and not elsewhere and model is None and not all(given):
        fail(DeployError("No processes model given (MODEL, NIXPROC_PROCESSES) and no -s/-i/-d models"))
    request = DisnixEnvRequest(
        processes=None if model is None else ProcessesModel(
            path=model, process_manager=process_manager, targets=tuple(Target.parse(value) for value in targets),
            target_process_manager=target_process_manager, state_dirs=dirs, extra_params=extra_params, pkgs=pkgs,
            include=include,
        ),
        models=DisnixModels(services, infrastructure, distribution, extra_params, pkgs, include)
        if services and infrastructure and distribution else None,
        operation=operation,
        argument=None if operation is None or options[operation] is True else str(options[operation]),
        profile=profile, coordinator_profile_path=coordinator_profile_path, target_property=target_property,
        output_dir=output_dir, dry_run=dry_run, lock=not options["no_lock"], upgrade=not options["no_upgrade"],
        record=not options["no_coordinator_profile"], max_concurrent=max_concurrent,
        disnix_options=tuple(
            [word for name in PASS_THROUGH_VALUES if options.get(name) is not None
             for word in (_option_name(name), str(options[name]))]
            + [_option_name(name) for name in PASS_THROUGH_FLAGS if options.get(name)]
            + (["--show-trace"] if show_trace else [])
        ),
    )
    program = None if local or dry_run else disnix_env_program()
    if program is None and elsewhere:
        fail(DeployError("-P, -A and -D need Disnix (disnix-env is not installed here)"))

    def work() -> int | str:
        with open_store(store_dir) as store:
            if program is not None:
                return run_disnix_env(program, store, request)
            with ProgressDisplay(quiet) as display:
                # Each (de)activation is reported as Disnix does; plain step lines would repeat it.
                progress = display if display.animated else None
                return local_disnix_env(store, request, os.environ, display.report, progress)

    result = run(work, show_trace)
    if isinstance(result, int):
        sys.exit(result)
    click.echo(result, nl=False)


@click.command("simulate-targets", context_settings={**_CONTEXT, "ignore_unknown_options": True})
@click.option("--target", "targets", multiple=True, required=True, help="A target to simulate (repeatable).")
@click.option("--inside", is_flag=True, hidden=True)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def simulate_targets(targets: tuple[str, ...], inside: bool, command: tuple[str, ...]) -> None:
    """Run COMMAND with the targets simulated on this machine, each in a network namespace of its own.

    COMMAND (e.g. nixproc-disnix-env with an infrastructure whose hostnames are
    the targets' names) runs in the harness's own namespaces, unreachable from
    this machine's network; every process left in a target is killed afterwards.
    """
    from ..disnix import simulation

    sys.exit(run(lambda: (simulation.inside if inside else simulation.simulate)(targets, command)))
