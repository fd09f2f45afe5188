"""A component's groups and users (``dysnomia-support``), created on activation and deleted on deactivation.

What Dysnomia's modules do with ``dysnomia-addgroups``/``-addusers``/
``-delusers``/``-delgroups``, through our account functions
(:mod:`nixproc_disnix.dysnomia.users`). Only root can manage accounts;
for others only the home directories of ``forceDisableUserChange`` mode are
made, as the switch does. Unlike the shell tools, a failed activation
deletes only the accounts it created, never ones that existed before.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from nixproc_disnix.dysnomia.module import ModuleCall
from nixproc_disnix.dysnomia.users import add_group, add_user, delete_group, delete_user
from nixproc_disnix.model.dysnomia_support import AccountFile, read_account_files


def _accounts(component: str, kind: str) -> list[AccountFile]:
    return list(read_account_files(os.path.join(component, "dysnomia-support", kind)).values())


def _manage_accounts() -> bool:
    return os.geteuid() == 0


@contextmanager
def created_accounts(call: ModuleCall) -> Iterator[None]:
    """Create the component's groups, then its users; if the body fails, delete those created and re-raise."""
    created: list[tuple[str, AccountFile]] = []
    try:
        for group in _accounts(call.component, "groups") if _manage_accounts() else []:
            if add_group(group, call.report):
                created.append(("group", group))
        for user in _accounts(call.component, "users"):
            if (_manage_accounts() or user.home_dir_only) and add_user(user, call.report):
                created.append(("user", user))
        yield
    except BaseException:
        for kind, account in reversed(created):
            try:
                if kind == "user":
                    delete_user(account)
                else:
                    delete_group(account)
            except Exception as error:  # keep undoing; the original failure is what gets raised
                call.report(f"warning: {error}")
        raise


def delete_accounts(call: ModuleCall) -> None:
    """Delete the component's users, then its groups, those that exist."""
    if not _manage_accounts():
        return
    for user in _accounts(call.component, "users"):
        delete_user(user)
    for group in _accounts(call.component, "groups"):
        delete_group(group)
