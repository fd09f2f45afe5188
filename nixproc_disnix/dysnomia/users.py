"""Create and delete the groups and users of ``dysnomia-support`` (SPEC §6.3).

Our equivalents of ``dysnomia-addgroups``, ``-addusers``, ``-delusers`` and
``-delgroups``, one account at a time: the attributes come from
:func:`~nixproc_disnix.model.dysnomia_support.parse_account_file` (read as
data, never sourced) and reach ``groupadd``/``useradd``/``userdel``/
``groupdel`` as separate arguments, so no value is ever shell code. Each
function says whether it changed anything, so a failed switch undoes
exactly what it did and leaves accounts that existed before alone.
"""
from __future__ import annotations

import grp
import os
import pwd
import subprocess
from collections.abc import Callable

from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.dysnomia_support import AccountFile

Report = Callable[[str], None]


def group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def add_group(group: AccountFile, report: Report) -> bool:
    """``groupadd [-g gid] name`` unless the group exists (then its gid stays, with a warning if it differs)."""
    gid = group.get("gid")
    if group_exists(group.name):
        existing = grp.getgrnam(group.name).gr_gid
        if gid is not None and gid != str(existing):
            report(f"warning: group {group.name} exists with gid {existing}, not {gid}; keeping it")
        return False
    _run(["groupadd", *(["-g", gid] if gid else []), "--", group.name], f"cannot create group {group.name}")
    return True


def add_user(user: AccountFile, report: Report) -> bool:
    """``useradd`` with the file's attributes unless the user exists; only the home directory in home-only mode."""
    home_dir = user.get("homeDir")
    if user.home_dir_only:
        if home_dir is not None and user.flag("createHomeDir"):
            os.makedirs(home_dir, exist_ok=True)
        return False
    uid = user.get("uid")
    if user_exists(user.name):
        existing = pwd.getpwnam(user.name).pw_uid
        if uid is not None and uid != str(existing):
            report(f"warning: user {user.name} exists with uid {existing}, not {uid}; keeping it")
        return False
    options = [
        (option, user.get(attribute))
        for option, attribute in (("-u", "uid"), ("-p", "password"), ("-g", "group"), ("-c", "description"))
    ]
    argv = ["useradd", *[word for option, value in options if value is not None for word in (option, value)]]
    argv += ["-d", home_dir or "/dev/null"]
    shell = user.get("shell")
    argv += ["-s", shell] if shell is not None else []
    argv += ["-m"] if user.flag("createHomeDir") else []
    _run([*argv, "--", user.name], f"cannot create user {user.name}")
    return True


def delete_user(user: AccountFile) -> bool:
    """``userdel name`` if it exists; a home-only entry never created a user."""
    if user.home_dir_only or not user_exists(user.name):
        return False
    _run(["userdel", "--", user.name], f"cannot delete user {user.name}")
    return True


def delete_group(group: AccountFile) -> bool:
    """``groupdel name`` if it exists (``userdel`` may have removed a user's own group already)."""
    if not group_exists(group.name):
        return False
    _run(["groupdel", "--", group.name], f"cannot delete group {group.name}")
    return True


def _run(argv: list[str], what: str) -> None:
    try:
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    except OSError as error:
        raise DeployError(f"{what}: {argv[0]}: {error.strerror}") from None
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise DeployError(f"{what}: {lines[-1] if lines else f'{argv[0]} exited with status {result.returncode}'}")
