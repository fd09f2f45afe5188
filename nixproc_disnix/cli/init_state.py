"""``nixproc-init-state``: create the state directories a deployment's processes write to."""
from __future__ import annotations

from typing import Any

import click

from .common import run
from .state_dirs import state_dir_options, state_dirs


@click.command("nixproc-init-state", context_settings={"help_option_names": ["-h", "--help"]})
@state_dir_options
def nixproc_init_state(**options: Any) -> None:
    """Create the state, runtime, log, tmp, cache, spool, lock and lib directories (defaults under /var)."""
    dirs = state_dirs(options)

    def work() -> list[str]:
        from ..deploy.state import init_state

        return init_state(dirs)

    for path in run(work):
        click.echo(f"created {path}", err=True)
