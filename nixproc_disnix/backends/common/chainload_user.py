"""``nixproc-chainload-user USER COMMAND [ARG...]``: run COMMAND as USER (SPEC §2.4).

The foreground proxy runs ``initialize`` as root and must then start the
process as its user *in the same process*, so the supervising manager keeps
watching the right PID: ``su -c`` would fork a shell in between. This tool
switches the group, the supplementary groups (the user's own, none of
root's) and the user, then replaces itself with COMMAND, found in ``PATH``;
already running as the user, it only does the latter.
The environment is passed on unchanged. Any failure is one line on stderr
and exit status 1.
"""
from __future__ import annotations

import os
import pwd
import sys
from typing import NoReturn

PROGRAM = "nixproc-chainload-user"


def _fail(message: str) -> NoReturn:
    print(f"{PROGRAM}: {message}", file=sys.stderr)
    sys.exit(1)


def main(argv: list[str] | None = None) -> NoReturn:
    """Switch to the user named by the first argument and exec the rest."""
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) < 2:
        _fail(f"usage: {PROGRAM} USER COMMAND [ARG...]")
    user, command = arguments[0], arguments[1:]
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        _fail(f"unknown user: {user}")
    # A manager that already runs as the user (no privileges to switch with) just runs COMMAND.
    if (account.pw_uid, account.pw_gid) != (os.geteuid(), os.getegid()):
        try:
            os.setgid(account.pw_gid)
            os.initgroups(account.pw_name, account.pw_gid)
            os.setuid(account.pw_uid)
        except OSError as error:
            _fail(f"cannot switch to user {user}: {error.strerror}")
    try:
        os.execvp(command[0], command)
    except OSError as error:
        _fail(f"cannot execute {command[0]}: {error.strerror}")


if __name__ == "__main__":
    main()
