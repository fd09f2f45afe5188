"""``nixproc doctor``: the machine's process managers and tools, as a table or as JSON."""
from __future__ import annotations

import click
from rich.console import Console

from ..doctor import diagnose, report_table


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (for scripts).")
def doctor(as_json: bool) -> None:
    """Show which process managers and tools can run here, their versions, and what to install."""
    report = diagnose()
    if as_json:
        click.echo(report.render_json(), nl=False)
    else:
        Console().print(report_table(report))
