"""``nixproc-generate-config``: agnostic JSON to a process manager's files, without evaluating Nix."""
from __future__ import annotations

import os
import shutil
from typing import Any

import click

from ..errors import EvalError
from .common import fail, run
from .options import ProcessManagerChoice
from .state_dirs import state_dir_options, state_dirs


@click.command("nixproc-generate-config", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("config", required=False, type=click.Path())
@click.option("-P", "--process-manager", type=ProcessManagerChoice(), envvar="NIXPROC_PROCESS_MANAGER",
              help="The process manager to generate configuration for.")
@state_dir_options
@click.option("--ids", "ids_file", type=click.Path(dir_okay=False),
              help="An ids.nix whose uids/gids fill in the credentials, as the model's ids do.")
@click.option("-o", "--out-link", default="result", show_default=True, help="Link to the result.")
@click.option("--no-out-link", is_flag=True, help="Do not create the result link.")
@click.option("--output-dir", type=click.Path(file_okay=False),
              help="Also copy the generated files here (links into the store are resolved).")
@click.option("--store-dir", envvar="NIXPROC_STORE_DIR", help="The store to build into.")
@click.option("--show-trace", is_flag=True, help="Show where an error came from.")
def generate_config(config: str | None, process_manager: str | None, ids_file: str | None, out_link: str,
                    no_out_link: bool, output_dir: str | None, store_dir: str | None, show_trace: bool,
                    **options: Any) -> None:
    """Turn the agnostic process configuration CONFIG (a JSON file or a folder of them) into a manager's files."""
    if not config:
        fail(EvalError("A config file must be provided!"))
    if process_manager is None:
        fail(EvalError("No process manager was specified!"))
    dirs = state_dirs(options)

    def generate() -> str:
        from ..framework.from_config import ConfigGenerator, config_files_in
        from ..store.roots import make_out_link
        from ..store.store import open_store

        from ..compiler.eval.evaluator import Evaluator
        from ..idassign.models import read_ids

        settings = dirs.backend_settings().model_copy(update={"ids": read_ids(Evaluator(), ids_file)})
        with open_store(store_dir) as store:
            result = ConfigGenerator(process_manager, settings, store.store_dir).realise(
                store, config_files_in(config)
            )
            if not no_out_link:
                make_out_link(store, out_link, result)
        if output_dir is not None:
            _copy_resolved(result, output_dir)
        return result

    click.echo(run(generate, show_trace))


def _copy_resolved(source: str, target: str) -> None:
    """Copy ``source``'s tree: links into the store are followed, relative links (rc links) are kept."""
    os.makedirs(target, exist_ok=True)
    for entry in sorted(os.listdir(source)):
        path = os.path.join(source, entry)
        while os.path.islink(path) and os.path.isabs(os.readlink(path)):
            path = os.readlink(path)
        destination = os.path.join(target, entry)
        if os.path.islink(path):
            os.symlink(os.readlink(path), destination)
        elif os.path.isdir(path):
            _copy_resolved(path, destination)
        else:
            shutil.copyfile(path, destination)
            os.chmod(destination, 0o755 if os.access(path, os.X_OK) else 0o644)
