"""``nixproc-build-image``: build a docker-archive, from an image expression or from a processes model and options."""
from __future__ import annotations

import click

from .common import OneLineUsageError, run
from .options import ProcessManagerChoice, pkgs_option


@click.command("build-image", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("expression", default="default.nix", type=click.Path())
@click.option("-A", "--attr", "attr_path", default="", help="Select an attribute path of the expression's value.")
@click.option("--arg", "args", nargs=2, multiple=True, help="Pass NAME = EXPR to the expression's function.")
@click.option("--argstr", "argstrs", nargs=2, multiple=True, help="Pass NAME = STRING to the expression's function.")
@click.option("--process-manager", type=ProcessManagerChoice(),
              help="EXPRESSION is a processes model: build an image that runs it with this process manager "
                   "(supervisord, sysvinit, disnix or s6-rc).")
@click.option("--name", "image_name", default="multiprocess", show_default=True,
              help="With --process-manager: the image's name.")
@click.option("--tag", default="latest", show_default=True, help="With --process-manager: the image's tag.")
@click.option("--mutable", is_flag=True,
              help="With --process-manager: include the nixproc tools and the model, so the processes can be "
                   "redeployed inside a running container (createMutableMultiProcessImage).")
@click.option("--interactive/--no-interactive", default=True, show_default=True,
              help="With --process-manager: include a shell and the basic tools for `docker exec`.")
@click.option("--manpages", is_flag=True, help="With --process-manager: include man and the manual pages.")
@click.option("--force-disable-user-change", is_flag=True,
              help="With --process-manager: run every process as the container's user; create no accounts.")
@click.option("--state-dir", help="With --process-manager: the state directory inside the image [default: /var].")
@click.option("--runtime-dir", help="With --process-manager: the runtime directory [default: STATE_DIR/run].")
@click.option("--extra-params", help="With --process-manager: Nix attribute set of extra parameters for the model.")
@click.option("--id-resources", type=click.Path(dir_okay=False),
              help="With --mutable: the id resources file to include beside the model.")
@click.option("--ids", type=click.Path(dir_okay=False), help="With --mutable: the ids file to include beside the model.")
@pkgs_option
@click.option("-I", "include", multiple=True, help="Add a search path entry (PREFIX=PATH or PATH).")
@click.option("--store-dir", envvar="NIXPROC_STORE_DIR", help="The store to build into.")
@click.option("-o", "--out-link", default="result", show_default=True, help="Link to the image.")
@click.option("--no-out-link", is_flag=True, help="Do not create the result link.")
@click.option("--show-trace", is_flag=True, help="Show where an evaluation error came from.")
def build_image(expression: str, attr_path: str, args: tuple[tuple[str, str], ...],
                argstrs: tuple[tuple[str, str], ...], process_manager: str | None, image_name: str, tag: str,
                mutable: bool, interactive: bool, manpages: bool, force_disable_user_change: bool,
                state_dir: str | None, runtime_dir: str | None, extra_params: str | None, id_resources: str | None,
                ids: str | None, pkgs: str, include: tuple[str, ...], store_dir: str | None, out_link: str,
                no_out_link: bool, show_trace: bool) -> None:
    """Build the Docker image EXPRESSION evaluates to (createMultiProcessImage, ...) for `docker load -i`;
    with --process-manager, EXPRESSION is a processes model and the image runs it with that manager."""
    if process_manager is None:
        given = [option for option, value in (("--mutable", mutable), ("--manpages", manpages),
                                               ("--force-disable-user-change", force_disable_user_change),
                                               ("--state-dir", state_dir), ("--runtime-dir", runtime_dir),
                                               ("--extra-params", extra_params), ("--id-resources", id_resources),
                                               ("--ids", ids)) if value]
        if given:
            raise OneLineUsageError(f"{given[0]} describes an image of a processes model: give --process-manager")
    elif args or argstrs or attr_path:
        raise OneLineUsageError("--arg, --argstr and -A apply to an image expression, not to a processes model "
                                "(--process-manager)")
    elif (id_resources or ids) and not mutable:
        raise OneLineUsageError("--id-resources and --ids are for a mutable image (--mutable); a static image's "
                                "model reads the ids.nix beside it")

    def build() -> str:
        from ..deploy.image import ImageRequest, ModelImage, build_image as build_archive
        from ..store.roots import make_out_link
        from ..store.store import open_store

        if process_manager is None:
            request = ImageRequest(expression=expression, attr_path=attr_path, args=dict(args),
                                   argstrs=dict(argstrs), pkgs=pkgs, include=include)
        else:
            request = ModelImage(
                expression, process_manager, name=image_name, tag=tag, mutable=mutable, interactive=interactive,
                manpages=manpages, force_disable_user_change=force_disable_user_change, state_dir=state_dir,
                runtime_dir=runtime_dir, extra_params=extra_params, id_resources=id_resources, ids=ids,
            ).request(pkgs, include)
        with open_store(store_dir) as store:
            result = build_archive(store, request)
            if not no_out_link:
                make_out_link(store, out_link, result)
        return result

    click.echo(run(build, show_trace))
