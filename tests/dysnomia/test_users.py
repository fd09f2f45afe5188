"""Creating and deleting dysnomia-support accounts for real (as root), with throwaway names cleaned up after."""
from __future__ import annotations

import grp
import os
import pwd
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nixproc_disnix.backends.common.util import escape_shell_arg
from nixproc_disnix.dysnomia.users import add_group, add_user, delete_group, delete_user, group_exists, user_exists
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.dysnomia_support import AccountFile, parse_account_file

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creating accounts needs root")

HOSTILE = "it's $(touch pwned) `touch pwned`"


@pytest.fixture
def name() -> Iterator[str]:
    """A fresh account name; user and group of that name are removed afterwards, whatever happened."""
    account = f"nxpt{uuid.uuid4().hex[:8]}"
    yield account
    subprocess.run(["userdel", account], capture_output=True)
    subprocess.run(["groupdel", account], capture_output=True)


def free_id() -> int:
    taken = {entry.pw_uid for entry in pwd.getpwall()} | {entry.gr_gid for entry in grp.getgrall()}
    return next(number for number in range(42000, 60000) if number not in taken)


def test_group_and_user_with_attributes(name: str, tmp_path: Path) -> None:
    number = free_id()
    lines: list[str] = []
    group = parse_account_file(name, f"gid={number}\n\n")
    user = parse_account_file(
        name, f"uid={number}\ndescription={escape_shell_arg(HOSTILE)}\ngroup={name}\nshell=/bin/sh\n\n"
    )
    assert add_group(group, lines.append) and grp.getgrnam(name).gr_gid == number
    assert add_user(user, lines.append)
    entry = pwd.getpwnam(name)
    assert (entry.pw_uid, entry.pw_gid, entry.pw_gecos, entry.pw_dir, entry.pw_shell) == (
        number, number, HOSTILE, "/dev/null", "/bin/sh"
    )
    assert not list(tmp_path.rglob("pwned")) and not Path("/pwned").exists()
    assert lines == []

    assert not add_group(group, lines.append) and not add_user(user, lines.append), "existing accounts stay"
    assert not add_group(parse_account_file(name, f"gid={number + 1}\n"), lines.append)
    assert lines == [f"warning: group {name} exists with gid {number}, not {number + 1}; keeping it"]

    assert delete_user(user) and not user_exists(name)
    assert not delete_user(user)
    # Debian's userdel removes the user's own group with it; deleting it again is no error.
    delete_group(group)
    assert not group_exists(name) and not delete_group(group)


def test_user_with_a_home_directory(name: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert add_user(AccountFile(name=name, attributes={"homeDir": str(home), "createHomeDir": "1"}), print)
    assert home.is_dir() and home.stat().st_uid == pwd.getpwnam(name).pw_uid


def test_home_directory_only(name: str, tmp_path: Path) -> None:
    home = tmp_path / "a" / "home"
    user = AccountFile(name=name, attributes={"homeDir": str(home), "createHomeDir": "1", "createHomeDirOnly": "1"})
    assert not add_user(user, print) and home.is_dir() and not user_exists(name)
    assert not delete_user(user)


def test_failures_are_one_line(name: str) -> None:
    with pytest.raises(DeployError, match=f"cannot create user {name}: .*group"):
        add_user(AccountFile(name=name, attributes={"group": f"{name}missing"}), print)
