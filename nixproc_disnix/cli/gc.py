"""``nixproc gc``: delete store paths that no out link or profile generation keeps alive."""
from __future__ import annotations

import click

from .common import run


@click.command("gc", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--dry-run", "--print-dead", "dry_run", is_flag=True, help="Only print what would be deleted.")
@click.option("--store-dir", envvar="NIXPROC_STORE_DIR", help="The store to collect.")
def gc(dry_run: bool, store_dir: str | None) -> None:
    """Delete every store path not reachable from a root (result links, profile generations)."""
    from ..store.gc import collect_garbage
    from ..store.store import open_store

    def collect() -> object:
        with open_store(store_dir) as store:
            return collect_garbage(store, dry_run=dry_run)

    report = run(collect)
    for path in report.deleted:
        click.echo(path)
    verb = "would be deleted" if dry_run else "deleted"
    click.echo(f"{len(report.deleted)} store paths {verb}, {report.freed_bytes / 2**20:.2f} MiB freed", err=True)
