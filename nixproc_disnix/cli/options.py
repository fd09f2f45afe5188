"""Options several commands share, defined once so their names, variables and help agree."""
from __future__ import annotations

import click

from ..pkgs import DEFAULT_RESOLVER, RESOLVERS

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
