"""Shell commands that start a process as a daemon (SPEC §2.4 "invoke daemon as user", "daemonize foreground").

Backends whose start step is a shell script (the disnix process wrapper; the
same forms as sysvinit's start activity) build these lines here. Upstream
interpolates executables, users and files bare and only escapes the
arguments; here every value is one quoted shell word, so a path or user name
with spaces, quotes or ``$(...)`` reaches the command unchanged.
"""
from __future__ import annotations

from collections.abc import Iterable

from nixproc_disnix.backends.common.templates import shell_word
from nixproc_disnix.model.process import Scalar


def command_line(executable: str, args: Iterable[Scalar]) -> str:
    """``executable`` and its arguments, each a quoted shell word."""
    return " ".join(shell_word(word) for word in (executable, *args))


def invoke_daemon(executable: str, args: Iterable[Scalar], su: str, user: str | None) -> str:
    """A self-daemonizing executable, started through ``su USER -c '<command>'`` when a user applies.

    ``su`` hands its ``-c`` argument to a new shell, so the command is quoted
    once more as a whole; ``su`` itself is written as given (a command name
    looked up in ``PATH``, or a path).
    """
    command = command_line(executable, args)
    if user is None:
        return command
    return f"{su} {shell_word(user)} -c {shell_word(command)}"


def daemonize_foreground_process(
    daemon: str,
    executable: str,
    args: Iterable[Scalar],
    pid_dir: str,
    pid_file: str | None,
    user: str | None,
    output_log_file: str | None,
) -> str:
    """libslack ``daemon`` turning a foreground process into a daemon that writes a PID file.

    Without ``pid_file``, ``daemon`` names the file after the executable in
    ``pid_dir`` (``$(basename …)`` is evaluated by the shell, as upstream).
    ``daemon`` is written as given, like ``su`` above.
    """
    options = ["--unsafe", "--inherit"]
    if output_log_file is not None:
        options.append(f"--output {shell_word(output_log_file)}")
    if pid_file is not None:
        options.append(f"--pidfile {shell_word(pid_file)}")
    else:
        options.append(f'--pidfiles {shell_word(pid_dir)} --name "$(basename {shell_word(executable)})"')
    if user is not None:
        options.append(f"--user {shell_word(user)}")
    return f"{daemon} {' '.join(options)} -- {command_line(executable, args)}"
