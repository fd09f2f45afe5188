"""The ``nixproc`` umbrella command: one click group, thin commands over the library."""
from __future__ import annotations

import os
import sys

import click

from .common import fail, run, write_bytes

__all__ = ["fail", "main", "run", "write_bytes"]


class LazyGroup(click.Group):
    """A group whose heavier subcommands are imported only when they run.

    ``nixproc eval -E 1`` should not pay for pydantic and the id-assign models.
    """

    lazy_commands = {
        "build": "nixproc_disnix.cli.build:nixproc_build",
        "build-image": "nixproc_disnix.cli.build_image:build_image",
        "convert": "nixproc_disnix.cli.convert:convert",
        "doctor": "nixproc_disnix.cli.doctor:doctor",
        "dysnomia-modules": "nixproc_disnix.cli.dysnomia:dysnomia_modules",
        "gc": "nixproc_disnix.cli.gc:gc",
        "generate-config": "nixproc_disnix.cli.generate_config:generate_config",
        "graph": "nixproc_disnix.cli.graph:graph",
        "id-assign": "nixproc_disnix.cli.idassign:nixproc_id_assign",
        "simulate-targets": "nixproc_disnix.cli.disnix_env:simulate_targets",
        "logs": "nixproc_disnix.cli.logs:logs",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy_commands])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = self.lazy_commands.get(name)
        if target is None:
            return super().get_command(ctx, name)
        import importlib

        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nixproc-disnix")
def main() -> None:
    """Deploy processes models with any process manager, or with Disnix."""


@main.command()
@click.argument("file", required=False, type=click.Path(allow_dash=True))
@click.option("-E", "--expr", "expr", help="Parse this expression instead of a file ('-' reads standard input).")
def parse(file: str | None, expr: str | None) -> None:
    """Print the AST of FILE as `nix-instantiate --parse` does."""
    from ..compiler.lexer import Source
    from ..compiler.parser import parse as parse_source
    from ..compiler.parser import read_source_file
    from ..compiler.printer import show

    if expr is not None:
        source = Source(expr.encode("utf-8", "surrogateescape").decode("latin-1"), "«string»", os.getcwd())
    elif file is None or file == "-":
        source = Source(sys.stdin.buffer.read().decode("latin-1"), "«stdin»", os.getcwd())
    else:
        source = run(lambda: read_source_file(file))
    write_bytes(run(lambda: show(parse_source(source))) + "\n")


@main.command("eval", context_settings={"ignore_unknown_options": False})
@click.argument("file", required=False, type=click.Path(allow_dash=True))
@click.option("-E", "--expr", "expr", help="Evaluate this expression instead of a file.")
@click.option("--strict", is_flag=True, help="Evaluate the result deeply.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--xml", "as_xml", is_flag=True, help="Print the result as XML.")
@click.option("--no-location", is_flag=True, help="Leave positions out of the XML.")
@click.option("--readonly-mode", is_flag=True, help="Never write to the store (we never do when evaluating).")
@click.option("-A", "--attr", "attr_paths", multiple=True, help="Select an attribute path of the result.")
@click.option("--arg", "args", nargs=2, multiple=True, help="Pass NAME = EXPR to the function.")
@click.option("--argstr", "argstrs", nargs=2, multiple=True, help="Pass NAME = STRING to the function.")
@click.option("-I", "include", multiple=True, help="Add a search path entry (PREFIX=PATH or PATH).")
@click.option("--show-trace", is_flag=True, help="Show where the error came from.")
def eval_command(file: str | None, expr: str | None, strict: bool, as_json: bool, as_xml: bool,
                 no_location: bool, readonly_mode: bool, attr_paths: tuple[str, ...],
                 args: tuple[tuple[str, str], ...], argstrs: tuple[tuple[str, str], ...],
                 include: tuple[str, ...], show_trace: bool) -> None:
    """Evaluate a Nix expression and print its value, like `nix-instantiate --eval`."""
    from ..compiler.eval.instantiate import EvalRequest, evaluate

    request = EvalRequest(file=file, expr=expr, strict=strict,
                          output="json" if as_json else "xml" if as_xml else "nix",
                          location=not no_location, attr_paths=list(attr_paths), args=dict(args),
                          argstrs=dict(argstrs), include=list(include))
    write_bytes(run(lambda: evaluate(request), show_trace))





@main.command("framework-path")
def framework_path() -> None:
    """Print the folder holding our nixproc/ tree (link it where a model expects nix-processmgmt)."""
    from ..framework import FRAMEWORK_DIR

    click.echo(FRAMEWORK_DIR)
