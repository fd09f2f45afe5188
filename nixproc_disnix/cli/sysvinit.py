"""``nixproc-sysvinit-runactivity``: run one activity of every init script of a deployed sysvinit profile."""
from __future__ import annotations

import click

from ..errors import DeployError
from .common import fail, run


@click.command("nixproc-sysvinit-runactivity", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("activity", required=False)
@click.argument("profile_path", metavar="[PROFILE]", required=False, type=click.Path())
@click.option("-p", "--profile", default="processes", show_default=True,
              help="Name of the deployed profile to use when PROFILE is not given.")
@click.option("-r", "--reverse", is_flag=True, help="Run the scripts in reverse order (as for stopping).")
@click.option("--runlevel", help="Runlevel whose rc<L>.d scripts to run (default: the current one, else 3).")
@click.option("--store-dir", envvar="NIXPROC_STORE_DIR", help="The store whose profiles to look in.")
def nixproc_sysvinit_runactivity(activity: str | None, profile_path: str | None, profile: str, reverse: bool,
                                 runlevel: str | None, store_dir: str | None) -> None:
    """Run ACTIVITY (start, stop, status, ...) of every script in PROFILE's rc<L>.d, by sequence number."""
    if not activity:
        fail(DeployError("No activity specified!"))

    def work() -> None:
        from ..backends.sysvinit.switch import run_activity
        from ..deploy.switch import profile_link
        from ..store.store import open_store

        if profile_path is not None:
            target = profile_path
        else:
            with open_store(store_dir) as store:
                target = profile_link(store, profile)
        run_activity(target, activity, runlevel, reverse, lambda line: click.echo(line))

    run(work)
