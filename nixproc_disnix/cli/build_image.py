"""``nixproc build-image``: build the docker-archive an image expression describes and print its store path."""
from __future__ import annotations

import click

from .common import run
from .options import pkgs_option


@click.command("build-image", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("expression", default="default.nix", type=click.Path())
@click.option("-A", "--attr", "attr_path", default="", help="Select an attribute path of the expression's value.")
@click.option("--arg", "args", nargs=2, multiple=True, help="Pass NAME = EXPR to the expression's function.")
@click.option("--argstr", "argstrs", nargs=2, multiple=True, help="Pass NAME = STRING to the expression's function.")
@pkgs_option
@click.option("-I", "include", multiple=True, help="Add a search path entry (PREFIX=PATH or PATH).")
@click.option("--store-dir", envvar="NIXPROC_STORE_DIR", help="The store to build into.")
@click.option("-o", "--out-link", default="result", show_default=True, help="Link to the image.")
@click.option("--no-out-link", is_flag=True, help="Do not create the result link.")
@click.option("--show-trace", is_flag=True, help="Show where an evaluation error came from.")
def build_image(expression: str, attr_path: str, args: tuple[tuple[str, str], ...],
                argstrs: tuple[tuple[str, str], ...], pkgs: str, include: tuple[str, ...], store_dir: str | None,
                out_link: str, no_out_link: bool, show_trace: bool) -> None:
    """Build the Docker image EXPRESSION evaluates to (createMultiProcessImage, ...) for `docker load -i`."""

    def build() -> str:
        from ..deploy.image import ImageRequest, build_image as build_archive
        from ..store.roots import make_out_link
        from ..store.store import open_store

        request = ImageRequest(expression=expression, attr_path=attr_path, args=dict(args), argstrs=dict(argstrs),
                               pkgs=pkgs, include=include)
        with open_store(store_dir) as store:
            result = build_archive(store, request)
            if not no_out_link:
                make_out_link(store, out_link, result)
        return result

    click.echo(run(build, show_trace))
