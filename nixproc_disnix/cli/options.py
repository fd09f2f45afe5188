"""Options several commands share, defined once so their names, variables and help agree."""
from __future__ import annotations

from typing import Any

import click

from ..model.process import PROCESS_MANAGERS
from ..pkgs import DEFAULT_RESOLVER, RESOLVERS
from .common import OneLineUsageError

pkgs_option = click.option(
    "--pkgs", "pkgs", type=click.Choice(RESOLVERS), default=DEFAULT_RESOLVER, show_default=True,
    envvar="NIXPROC_PKGS", show_envvar=True,
    help="Where the model's packages come from: the host's installed programs, real Nix with the nixpkgs "
         "on the search path, or placeholders that build nothing.",
)
"""``--pkgs host|nix|stub`` (env ``NIXPROC_PKGS``): pass the value to ``nixproc_disnix.pkgs.attach_pkgs``."""

quiet_option = click.option(
    "--quiet", is_flag=True,
    help="Show no progress (no bars, no step lines), only warnings, process output and errors.",
)
"""``--quiet``: pass the value to :class:`nixproc_disnix.cli.progress.ProgressDisplay`."""


class ProcessManagerChoice(click.Choice):
    """The process managers as a choice (listed in ``--help``, completed by the shell), and an unknown one
    as the one-line error upstream's builders give: ``error: Unknown process manager: NAME``."""

    def __init__(self) -> None:
        super().__init__(PROCESS_MANAGERS)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            raise OneLineUsageError(
                f"Unknown process manager: {value} (expected one of {', '.join(PROCESS_MANAGERS)})"
            ) from None
