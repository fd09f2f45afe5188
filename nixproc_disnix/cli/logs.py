"""``nixproc logs``: a process's output, whichever process manager runs it."""
from __future__ import annotations

import os
import sys
from typing import Any

import click

from ..errors import LogsError, NixprocError
from ..logs import DEFAULT_LINES
from .common import fail
from .options import ProcessManagerChoice
from .state_dirs import state_dir_options, state_dirs


@click.command("logs", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("name")
@click.option("-P", "--process-manager", type=ProcessManagerChoice(), envvar="NIXPROC_PROCESS_MANAGER",
              help="The process manager that runs the process.")
@click.option("-n", "--lines", type=click.IntRange(min=0), default=DEFAULT_LINES, show_default=True,
              help="Print the last N lines.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing what the process writes, until interrupted.")
@state_dir_options
@click.option("--supervisord-conf-dir", envvar="SUPERVISORD_CONF_DIR",
              help="supervisord: the folder of its supervisord.conf (childlogdir, the program's stdout_logfile).")
@click.option("--user", "systemd_user", is_flag=True, help="systemd: the user's service manager (journalctl --user).")
def logs(name: str, process_manager: str | None, lines: int, follow: bool, supervisord_conf_dir: str | None,
         systemd_user: bool, **options: Any) -> None:
    """Print the output of the process NAME: its daemon log, child log, s6-log, docker logs or journal."""
    from ..logs import LogRequest, read_log

    if process_manager is None:
        fail(LogsError("No process manager specified!"))
    request = LogRequest(name=name, process_manager=process_manager, state_dirs=state_dirs(options),
                         supervisord_conf_dir=supervisord_conf_dir, systemd_user=systemd_user, lines=lines,
                         follow=follow)
    try:
        for chunk in read_log(request):
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
    except NixprocError as error:
        fail(error)
    except KeyboardInterrupt:
        pass  # -f ends here: the file is closed, a reading command stopped
    except BrokenPipeError:
        # The reader went away (``| head``); nothing more to say, and nothing left to flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
