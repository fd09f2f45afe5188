"""``nixproc-wait-ready``: the ``readiness`` check, run by generated files so a manager's start waits for it."""
from __future__ import annotations

import click

from ..model.readiness import Readiness
from ..model.validation import validate_as
from .common import OneLineUsageError, run


@click.command("nixproc-wait-ready", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("command", nargs=-1, metavar="[-- COMMAND [ARG]...]")
@click.option("--name", default="process", show_default=True, help="The process's name, for the error message.")
@click.option("--tcp-port", type=click.IntRange(1, 65535), help="Ready when 127.0.0.1:PORT accepts a connection.")
@click.option("--http", metavar="URL", help="Ready when a GET of this http:// URL on this machine answers 2xx.")
@click.option("--log-line", metavar="REGEX", help="Ready when a line of --log-file matches REGEX.")
@click.option("--log-file", type=click.Path(dir_okay=False), help="The process's output, for --log-line.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30, show_default=True,
              help="Seconds to keep trying (and the longest COMMAND may run).")
@click.option("--interval", type=click.FloatRange(min=0, min_open=True), default=0.5, show_default=True,
              help="Seconds between attempts (and the longest one TCP or HTTP attempt may take).")
@click.option("--once", is_flag=True, help="Try once instead of until the timeout.")
def nixproc_wait_ready(command: tuple[str, ...], name: str, tcp_port: int | None, http: str | None,
                       log_line: str | None, log_file: str | None, timeout: float, interval: float,
                       once: bool) -> None:
    """Wait until a process is ready (one check: --tcp-port, --http, --log-line or -- COMMAND); exit 1 on timeout."""
    given = [tcp_port is not None, http is not None, log_line is not None, bool(command)]
    if given.count(True) != 1:
        raise OneLineUsageError("give exactly one check: --tcp-port, --http, --log-line or -- COMMAND")
    if log_line is not None and log_file is None:
        raise OneLineUsageError("--log-line needs --log-file")

    def work() -> None:
        from ..deploy.readiness import check_ready

        readiness = validate_as(Readiness, {
            "tcp_port": tcp_port, "http": http, "command": list(command) or None, "log_line": log_line,
            "timeout": _number(timeout), "interval": _number(interval),
        }, "readiness check")
        check_ready(name, readiness, log_file, once)

    run(work)


def _number(seconds: float) -> int | float:
    """Whole seconds as an int, so messages say ``30 s`` as the model does, not ``30.0 s``."""
    return int(seconds) if seconds.is_integer() else seconds
