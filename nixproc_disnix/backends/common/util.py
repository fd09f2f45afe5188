"""The rules every generator shares (SPEC §2.4, upstream ``nixproc/backends/util``).

Pure functions of strings and models: which user a process really runs as,
where PID and daemon log files go, how ``path`` and ``environment`` become
shell lines, and how a daemon or a daemonized foreground process is invoked.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from nixproc_disnix.errors import EvalError
from nixproc_disnix.model.nix_json import attr_names, to_string
from nixproc_disnix.model.process import Scalar


def escape_shell_arg(value: Scalar | list[Scalar]) -> str:
    """nixpkgs ``escapeShellArg`` (the form the SPEC shows): always single quotes, ``'`` as ``'\\''``.

    The value is first stringified as Nix's ``toString`` does, so numbers
    and booleans quote like upstream's.
    """
    return "'" + to_string(value).replace("'", "'\\''") + "'"


def escape_shell_args(values: Iterable[Scalar]) -> str:
    """nixpkgs ``escapeShellArgs``: each value quoted, joined by single spaces."""
    return " ".join(escape_shell_arg(value) for value in values)


def determine_user(user: str | None, force_disable_user_change: bool) -> str | None:
    """The user a process actually switches to: none when user changes are disabled."""
    return None if force_disable_user_change else user


def pid_files_dir(user: str | None, runtime_dir: str, tmp_dir: str) -> str:
    """Where PID files go: ``runtime_dir`` for root, ``tmp_dir`` for a declared user.

    Pass the *declared* user, not :func:`determine_user`'s: upstream keeps the
    path convention the same whether or not user changes are disabled.
    """
    return runtime_dir if user is None else tmp_dir


def auto_pid_file(pid_file: str | None, instance_name: str | None, pid_dir: str) -> str | None:
    """The explicit PID file, else ``<pid_dir>/<instance_name>.pid``, else none (the backend decides)."""
    if pid_file is not None:
        return pid_file
    if instance_name is None:
        return None
    return f"{pid_dir}/{instance_name}.pid"


def daemon_log_file(
    name: str,
    instance_name: str | None,
    log_dir: str,
    tmp_dir: str,
    user: str | None,
    enabled: bool = True,
) -> str | None:
    """Where libslack ``daemon --output`` writes a daemonized process's output.

    ``user`` is the *effective* user (:func:`determine_user`): an unprivileged
    process cannot write to ``log_dir``. None when output logging is disabled.
    """
    if not enabled:
        return None
    directory = log_dir if user is None else tmp_dir
    return f"{directory}/nixproc-{instance_name if instance_name is not None else name}.log"


def compose_path(path: Iterable[str]) -> str:
    """``PATH`` made of each package's ``bin/``, in order."""
    return ":".join(f"{package}/bin" for package in path)


def append_path_to_environment(environment: Mapping[str, Scalar], path: list[str]) -> dict[str, Scalar]:
    """``environment`` plus ``PATH`` from ``path`` when it is not empty.

    An explicit ``environment.PATH`` wins, as upstream's ``// environment``.
    """
    return ({"PATH": compose_path(path)} if path else {}) | dict(environment)


def shell_environment_exports(environment: Mapping[str, Scalar], allow_system_path: bool = True) -> str:
    """One ``export NAME=<quoted value>`` line per variable, in attrNames order.

    With ``allow_system_path`` the ``PATH`` line keeps the caller's own
    ``PATH`` after ours (``:$PATH``, outside the quotes so it expands).
    """
    return "".join(
        f"export {name}={escape_shell_arg(environment[name])}"
        + (":$PATH" if allow_system_path and name == "PATH" else "")
        + "\n"
        for name in attr_names(environment)
    )


def check_shell_variable_names(environment: Mapping[str, Scalar], process_name: str) -> None:
    """Refuse a variable name that is not a shell identifier: ``export <name>=…`` writes it bare."""
    for variable in environment:
        if not variable.isidentifier() or not variable.isascii():
            raise EvalError(
                f"environment variable name {variable!r} of process '{process_name}' is not a valid shell variable name"
            )
