"""``nixproc-dysnomia`` (the ``dysnomia`` command's interface), ``nixproc-dysnomia-module`` and ``nixproc dysnomia-modules``."""
from __future__ import annotations

import os
import sys

import click

from ..dysnomia.module import ACTIVITIES
from .common import run

_CONTEXT = {"help_option_names": ["-h", "--help"]}


def _report(line: str) -> None:
    click.echo(line, err=True)


@click.command("nixproc-dysnomia", context_settings=_CONTEXT)
@click.option("-o", "--operation", required=True, type=click.Choice(ACTIVITIES), help="The activity to carry out.")
@click.option("-c", "--component", required=True,
              help="The component: a path (/… or ./…), or a name in $DYSNOMIA_COMPONENTS_PATH/<container>.")
@click.option("-C", "--container",
              help="The container: a configuration file (/… or ./…) or a name in $DYSNOMIA_CONTAINERS_PATH; "
                   "with --type only its name.")
@click.option("--type", "module_type", help="The module (a type or a path), instead of the container's type.")
@click.option("-E", "--environment", "keep_environment", is_flag=True,
              help="Run the module in this environment (container properties from it) instead of a clean one.")
@click.version_option(None, "-v", "--version", package_name="nixproc-disnix", message="%(prog)s %(version)s")
def nixproc_dysnomia(operation: str, component: str, container: str | None, module_type: str | None,
                     keep_environment: bool) -> None:
    """Carry out an activity on a component in a container with a Dysnomia module."""
    from ..dysnomia.invoke import command_invocation, invoke, search_path

    def call() -> None:
        invocation = command_invocation(operation, component, container, module_type, keep_environment, os.environ)
        invoke(invocation, search_path(os.environ.get("DYSNOMIA_MODULES_PATH")), _report)

    run(call)


def nixproc_dysnomia_module() -> None:
    """A module by the plugin protocol: ``<type> ACTIVITY COMPONENT [CONTAINER]``, properties in the environment.

    Called through a link named after a module type (``libexec/dysnomia/<type>``),
    the type is that name; called by its own name, the type is the first argument.
    """
    from ..dysnomia.module import ModuleCall
    from ..dysnomia.modules import MODULE_TYPES, run_module

    name, args = os.path.basename(sys.argv[0]), sys.argv[1:]
    if name not in MODULE_TYPES and args:
        name, args = args[0], args[1:]
    if len(args) not in (2, 3):
        click.echo(f"usage: {os.path.basename(sys.argv[0])} [TYPE] ACTIVITY COMPONENT [CONTAINER]", err=True)
        sys.exit(1)
    activity, component, container = (*args, "")[:3]
    call = ModuleCall(type=name, activity=activity, component=component, container=container,
                      environment=dict(os.environ), report=_report)
    run(lambda: run_module(call))


@click.command("dysnomia-modules", context_settings=_CONTEXT)
@click.option("--store-dir", envvar="NIXPROC_STORE_DIR", help="The store to put the modules' folder in.")
def dysnomia_modules(store_dir: str | None) -> None:
    """Print the folder of our Dysnomia modules (for DYSNOMIA_MODULES_PATH), building it first if needed."""
    from ..dysnomia.installed import MODULES_DIR, realise_modules
    from ..store.store import open_store

    def realise() -> str:
        with open_store(store_dir) as store:
            return os.path.join(realise_modules(store), MODULES_DIR)

    click.echo(run(realise))
