"""``/etc/passwd``, ``group``, ``shadow`` and ``gshadow`` of an image: ``builtin:nixproc-accounts``.

Upstream's image steps create accounts at build time by running
``groupadd``/``useradd`` and ``dysnomia-addgroups``/``addusers`` as root in
a VM. We compute the same four files instead: the steps declare accounts
in the ``dysnomia-support`` format (one ``{ name; attributes; }`` per group
or user, attributes as in a ``dysnomia-support/groups/<name>`` file), and
name profiles whose ``dysnomia-support`` directories are added after them,
groups before users, as the tools would. Ids are allocated as ``groupadd``
and ``useradd`` do with an empty ``login.defs`` (from 1000 up); a user
without a group gets gid 100; what the tools would date (the last password
change) is left empty, so the files are reproducible.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, ValidationError

from nixproc_disnix.errors import BuildError
from nixproc_disnix.model.dysnomia_support import AccountFile, read_account_files
from nixproc_disnix.store.derivation import Derivation

BUILDER = "builtin:nixproc-accounts"
FIRST_ID = 1000
"""``UID_MIN``/``GID_MIN`` when ``login.defs`` does not set them."""
USERS_GID = 100
"""The primary group ``useradd`` gives a user without ``-g`` when user groups are not enabled."""


class AccountsSpec(BaseModel):
    """The ``accounts`` attribute: accounts declared by the image steps, then those of ``profiles``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: list[AccountFile] = []
    users: list[AccountFile] = []
    profiles: list[str] = []
    """Store paths whose ``dysnomia-support`` accounts are added after the declared ones."""


class EtcAccounts:
    """The account databases being filled in, line by line in creation order."""

    def __init__(self) -> None:
        self.groups: dict[str, int] = {}
        self.users: dict[str, int] = {}
        self.passwd: list[str] = []
        self.group: list[str] = []
        self.shadow: list[str] = []
        self.gshadow: list[str] = []

    def add_group(self, group: AccountFile) -> None:
        """``groupadd [-g gid] name``, unless the group exists (as ``dysnomia-addgroups`` skips it)."""
        if group.name in self.groups:
            return
        gid = _id(group, "gid") if group.get("gid") else _next_id(self.groups.values())
        if gid in self.groups.values():
            raise BuildError(f"cannot create group {group.name}: gid {gid} is taken")
        self.groups[group.name] = gid
        self.group.append(f"{group.name}:x:{gid}:")
        self.gshadow.append(f"{group.name}:!::")

    def add_user(self, user: AccountFile) -> None:
        """``useradd`` with the attributes ``dysnomia-addusers`` passes, unless the user exists; home-only entries make none."""
        if user.home_dir_only or user.name in self.users:
            return
        uid = _id(user, "uid") if user.get("uid") else _next_id(self.users.values())
        if uid in self.users.values():
            raise BuildError(f"cannot create user {user.name}: uid {uid} is taken")
        group = user.get("group")
        if group is None:
            gid = USERS_GID
        elif group in self.groups:
            gid = self.groups[group]
        elif group.isdigit():
            gid = int(group)
        else:
            raise BuildError(f"cannot create user {user.name}: group '{group}' does not exist")
        fields = [user.name, "x", str(uid), str(gid), user.get("description") or "", user.get("homeDir") or "/dev/null",
                  user.get("shell") or ""]
        if any(":" in field or "\n" in field for field in fields):
            raise BuildError(f"cannot create user {user.name}: ':' or a newline in one of its attributes")
        self.users[user.name] = uid
        self.passwd.append(":".join(fields))
        self.shadow.append(f"{user.name}:{user.get('password') or '!'}:::::::")

    def files(self) -> dict[str, str]:
        """``etc/<database>`` → content."""
        return {f"etc/{name}": "".join(line + "\n" for line in lines) for name, lines in (
            ("passwd", self.passwd), ("group", self.group), ("shadow", self.shadow), ("gshadow", self.gshadow),
        )}


def _id(account: AccountFile, attribute: str) -> int:
    value = account.get(attribute) or ""
    if not value.isdigit():
        raise BuildError(f"cannot create {account.name}: {attribute} '{value}' is not a number")
    return int(value)


def _next_id(taken: Iterable[int]) -> int:
    """One more than the highest id in use from ``FIRST_ID`` up, as the tools allocate."""
    return max((value for value in taken if value >= FIRST_ID), default=FIRST_ID - 1) + 1


def image_accounts(spec: AccountsSpec) -> dict[str, str]:
    """The four account files for ``spec``: its own accounts, then each profile's groups and users."""
    accounts = EtcAccounts()
    for group in spec.groups:
        accounts.add_group(group)
    for user in spec.users:
        accounts.add_user(user)
    for profile in spec.profiles:
        for group in read_account_files(os.path.join(profile, "dysnomia-support", "groups")).values():
            accounts.add_group(group)
        for user in read_account_files(os.path.join(profile, "dysnomia-support", "users")).values():
            accounts.add_user(user)
    return accounts.files()


def build_accounts(drv: Derivation, out: str) -> None:
    """Build ``drv``: write its account files under ``out``."""
    try:
        spec = AccountsSpec.model_validate(json.loads(drv.env.get("accounts", "{}")))
    except (ValueError, ValidationError) as error:
        raise BuildError(f"derivation '{drv.name}' has no valid 'accounts' attribute: {error}") from None
    files = image_accounts(spec)
    os.makedirs(os.path.join(out, "etc"))
    for relative, content in files.items():
        with open(os.path.join(out, relative), "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(content)
