"""createCredentials: the ``dysnomia-support/`` files of a process (SPEC §2.5).

Dysnomia's user tools (§6.3) source each file as shell to create a group or
user before the process is activated, so every value is shell-quoted. This
module only computes the files; writing them out belongs to the caller.

Known difference: upstream's builder writes the lines through an unquoted
heredoc, so ``$``, backticks and backslashes inside values are expanded by
the build shell; we write the values as given.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from nixproc_disnix.backends.common.util import escape_shell_arg
from nixproc_disnix.errors import EvalError
from nixproc_disnix.model.credentials import Credentials
from nixproc_disnix.model.ids import Ids
from nixproc_disnix.model.nix_json import attr_names


def dysnomia_support_files(
    credentials: Credentials, ids: Ids | None = None, force_disable_user_change: bool = False
) -> dict[str, str]:
    """File path under ``dysnomia-support/`` (``groups/<g>``, ``users/<u>``) → content.

    Normally one file per group and per user: an id line from ``ids``
    (``gid=``/``uid=``) when the account has none of its own, one
    ``attr=<quoted value>`` line per attribute, then an empty line. With
    ``force_disable_user_change`` no accounts are created, only home
    directories of users asking for one.
    """
    assigned = ids.ids if ids is not None else {}
    files: dict[str, str] = {}
    if force_disable_user_change:
        for name in attr_names(credentials.users):
            user = credentials.users[name]
            if "create_home_dir" in user.model_fields_set and user.create_home_dir:
                if "home_dir" not in user.model_fields_set:
                    raise EvalError(f"attribute 'homeDir' missing in credentials.users.{name}")
                files[f"users/{name}"] = f"homeDir={user.home_dir}\ncreateHomeDir=1\ncreateHomeDirOnly=1\n"
        return files
    for name in attr_names(credentials.groups):
        files[f"groups/{name}"] = _account_file(credentials.groups[name], "gid", assigned.get("gids", {}).get(name))
    for name in attr_names(credentials.users):
        files[f"users/{name}"] = _account_file(credentials.users[name], "uid", assigned.get("uids", {}).get(name))
    return files


def _account_file(account: BaseModel, id_attr: str, assigned_id: int | None) -> str:
    """One account's lines; the assigned id only counts when the account does not set its own."""
    attributes: Mapping[str, Any] = account.model_dump(by_alias=True, exclude_unset=True)
    lines = [] if id_attr in attributes or assigned_id is None else [f"{id_attr}={assigned_id}\n"]
    lines.extend(f"{attr}={escape_shell_arg(attributes[attr])}\n" for attr in attr_names(attributes))
    return "".join(lines) + "\n"
