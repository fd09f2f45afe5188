"""``nixproc-<pm>-switch`` and ``nixproc-<pm>-deploy`` for every process manager, from one definition.

Upstream has eighteen near-identical scripts; here :func:`switch_command`
and :func:`deploy_command` make them from the manager's name, adding its
extra option (sysvinit ``--runlevel``, systemd ``--user``, bsdrc
``--enable-at-boot``). The work is in :mod:`nixproc_disnix.deploy.switch`;
a manager without a switcher yet fails there with one line.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from ..errors import DeployError, EvalError
from ..model.process import PROCESS_MANAGERS
from .common import fail, run
from .options import pkgs_option, quiet_option
from .progress import ProgressDisplay
from .state_dirs import state_dir_options, state_dirs

_CONTEXT = {"help_option_names": ["-h", "--help"]}

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

MANAGER_OPTIONS: dict[str, Decorator] = {
    "sysvinit": click.option("--runlevel", help="Runlevel whose rc<L>.d scripts to run (default: the current one, else 3)."),
    "systemd": click.option("--user", is_flag=True, help="Deploy user units (~/.config/systemd/user)."),
    "bsdrc": click.option("--enable-at-boot", is_flag=True, help="Install the scripts so they start at boot."),
}
"""The option only one manager has."""

GENERATION_OPERATIONS = ("undeploy", "rollback", "switch_generation", "list_generations", "delete_generations",
                         "delete_all_generations")
DEPLOYING_OPERATIONS = (None, "undeploy", "rollback", "switch_generation")
"""The operations that deploy something (None: the model given), whose plan ``--json`` prints."""


def _deployment_options(process_manager: str) -> Decorator:
    """Options switch and deploy share: profiles, directories, the manager's extra, store, concurrency, dry run,
    how progress and the result are shown."""
    options: list[Decorator] = [
        click.option("-p", "--profile", default="processes", show_default=True,
                     help="Name of the profile (in NIX_USER_PROFILE_DIR, else $NIX_STATE_DIR/profiles, else the "
                          "store root's profiles), or a path."),
        click.option("-o", "--old-profile", help="Profile to compare against instead of the current deployment."),
        state_dir_options,
        *([MANAGER_OPTIONS[process_manager]] if process_manager in MANAGER_OPTIONS else []),
        click.option("--store-dir", envvar="NIXPROC_STORE_DIR", help="The store profiles point into."),
        click.option("--max-concurrent", type=click.IntRange(min=1),
                     help="How many independent processes to start or stop at once (default: the CPU count)."),
        click.option("--dry-run", is_flag=True, help="Print what the switch would do, and change nothing."),
        quiet_option,
        click.option("--json", "as_json", is_flag=True,
                     help="Print the switch's plan as JSON: processes stopped, started, restarted and left "
                          "unchanged, accounts added and deleted."),
    ]

    def apply(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


def _run_deployment(process_manager: str, profile: str, store_dir: str | None, dry_run: bool, show_trace: bool,
                    options: dict[str, Any], operation: Callable[[Any, Any, Any], Any]) -> None:
    """Open the store, turn the shared options into ``SwitchOptions``, run ``operation(store, options, report)``.

    ``operation`` returns a plan (printed with ``--dry-run``, or as JSON with
    ``--json``) or the text to print.
    """
    dirs = state_dirs(options)
    old_profile = options.pop("old_profile")
    extras = {name: options.pop(name) for name in ("runlevel", "user", "enable_at_boot") if name in options}
    max_concurrent = options.pop("max_concurrent")
    quiet = options.pop("quiet")
    as_json = options.pop("as_json")

    def work() -> str:
        from ..deploy.plan import SwitchPlan, render_plan
        from ..deploy.switch import SwitchOptions, profile_link
        from ..model.results import SwitchResult
        from ..store.store import open_store

        with open_store(store_dir) as store, ProgressDisplay(quiet) as display:
            switch_options = SwitchOptions(
                process_manager=process_manager, profile=profile_link(store, profile), old_profile=old_profile,
                state_dirs=dirs, dry_run=dry_run, progress=display, **extras,
                **({"max_concurrent": max_concurrent} if max_concurrent else {}),
            )
            result = operation(store, switch_options, display.report)
        if isinstance(result, SwitchPlan):
            if as_json:
                return SwitchResult.of_plan(result, process_manager, dry_run).render_json()
            return render_plan(result) if dry_run else ""
        return str(result)

    click.echo(run(work, show_trace), nl=False)


def switch_command(process_manager: str) -> click.Command:
    """``nixproc-<pm>-switch``: build a processes model and deploy it, or work with the profile's generations."""

    @click.command(f"nixproc-{process_manager}-switch", context_settings=_CONTEXT)
    @click.argument("model", required=False, envvar="NIXPROC_PROCESSES", type=click.Path())
    @click.option("--undeploy", is_flag=True, help="Stop and remove every process (deploy the empty configuration).")
    @click.option("--rollback", is_flag=True, help="Deploy the previous generation again.")
    @click.option("--switch-generation", type=click.IntRange(min=0), metavar="NUM",
                  help="Deploy generation NUM and make it current.")
    @click.option("--list-generations", is_flag=True, help="List the profile's generations.")
    @click.option("--delete-generations", metavar="GENS",
                  help="Delete generations: numbers, Nd (older than N days), +N (keep N) or old.")
    @click.option("--delete-all-generations", is_flag=True, help="Delete the profile and all its generations.")
    @_deployment_options(process_manager)
    @click.option("--extra-params", help="Nix attribute set of extra parameters for the processes model.")
    @pkgs_option
    @click.option("-I", "include", multiple=True, help="Add a search path entry (PREFIX=PATH or PATH).")
    @click.option("--show-trace", is_flag=True, help="Show where an evaluation error came from.")
    def command(model: str | None, profile: str, store_dir: str | None, dry_run: bool, extra_params: str | None,
                pkgs: str, include: tuple[str, ...], show_trace: bool, **options: Any) -> None:
        chosen = [name for name in GENERATION_OPERATIONS if options[name]]
        if len(chosen) > 1:
            fail(DeployError(f"--{chosen[0].replace('_', '-')} and --{chosen[1].replace('_', '-')} cannot be combined"))
        operation = chosen[0] if chosen else None
        if operation is None and not model:
            fail(EvalError("No processes expression provided!"))
        if options["as_json"] and operation not in DEPLOYING_OPERATIONS:
            fail(DeployError(f"--json prints a deployment's plan; --{operation.replace('_', '-')} deploys nothing"))
        values = {name: options.pop(name) for name in GENERATION_OPERATIONS}

        def perform(store: Any, switch_options: Any, report: Any) -> Any:
            from ..deploy import switch
            from ..deploy.build import BuildRequest
            from ..model.profile import render_generations
            from ..store import profiles

            link = switch_options.profile
            if operation in (None, "undeploy"):
                request = BuildRequest(
                    process_manager=process_manager, model=None if operation else model,
                    state_dirs=switch_options.state_dirs, extra_params=extra_params, pkgs=pkgs, include=include,
                )
                return switch.switch(store, switch_options, request, report)
            if operation == "rollback":
                return switch.rollback(store, switch_options, report)
            if operation == "switch_generation":
                return switch.switch_to_generation(store, switch_options, values["switch_generation"], report)
            if operation == "list_generations":
                return render_generations(profiles.list_generations(link))
            removed = (profiles.delete_all_generations(link) if operation == "delete_all_generations"
                       else profiles.delete_generations(link, values["delete_generations"].split()))
            return "".join(f"removing profile version {number}\n" for number in removed)

        _run_deployment(process_manager, profile, store_dir, dry_run, show_trace, options, perform)

    command.help = f"Deploy the processes model MODEL with {process_manager}, or manage the deployment's generations."
    return command


def deploy_command(process_manager: str) -> click.Command:
    """``nixproc-<pm>-deploy PATH``: deploy a built profile."""

    @click.command(f"nixproc-{process_manager}-deploy", context_settings=_CONTEXT)
    @click.argument("path", required=False, type=click.Path())
    @_deployment_options(process_manager)
    def command(path: str | None, profile: str, store_dir: str | None, dry_run: bool, **options: Any) -> None:
        if not path:
            fail(DeployError("No profile path was provided!"))

        def perform(store: Any, switch_options: Any, report: Any) -> Any:
            from ..deploy.switch import deploy_path

            return deploy_path(store, switch_options, path, report)

        _run_deployment(process_manager, profile, store_dir, dry_run, False, options, perform)

    command.help = f"Deploy the built profile PATH with {process_manager} and record it as a new generation."
    return command


@dataclass(frozen=True)
class ManagerCommands:
    """A manager's two console scripts (``pyproject.toml`` names them ``<module>:<manager>.switch``)."""

    switch: click.Command
    deploy: click.Command

    @classmethod
    def of(cls, process_manager: str) -> ManagerCommands:
        return cls(switch_command(process_manager), deploy_command(process_manager))


COMMANDS = {process_manager: ManagerCommands.of(process_manager) for process_manager in PROCESS_MANAGERS}

sysvinit = COMMANDS["sysvinit"]
bsdrc = COMMANDS["bsdrc"]
systemd = COMMANDS["systemd"]
supervisord = COMMANDS["supervisord"]
launchd = COMMANDS["launchd"]
cygrunsrv = COMMANDS["cygrunsrv"]
disnix = COMMANDS["disnix"]
docker = COMMANDS["docker"]
s6_rc = COMMANDS["s6-rc"]
