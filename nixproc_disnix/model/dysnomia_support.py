"""A ``dysnomia-support/groups/<name>`` or ``users/<name>`` file (SPEC §2.5, §6.3).

Dysnomia's account tools ``source`` these files as shell; we read them as
data instead, so a value can never run code: the content is split into
shell words (quotes removed, nothing expanded, no command substitution) and
each word must be ``<attribute>=<value>``. What the generators write (one
``attr=<quoted value>`` line per attribute) reads back exactly.
"""
from __future__ import annotations

import os
import shlex

from pydantic import BaseModel, ConfigDict

from nixproc_disnix.errors import DeployError


class AccountFile(BaseModel):
    """One group or user to create: its name (the file's name) and the file's attributes."""

    model_config = ConfigDict(frozen=True, strict=True)

    name: str
    attributes: dict[str, str]

    def get(self, attribute: str) -> str | None:
        """An attribute's value, None when absent or empty (Nix writes ``false`` as empty)."""
        return self.attributes.get(attribute) or None

    def flag(self, attribute: str) -> bool:
        """A boolean attribute: Nix writes ``true`` as ``1``."""
        return self.attributes.get(attribute) == "1"

    @property
    def home_dir_only(self) -> bool:
        """A user file of ``forceDisableUserChange`` mode: only its home directory is wanted."""
        return self.flag("createHomeDirOnly")


def parse_account_file(name: str, text: str, source: str = "<string>") -> AccountFile:
    """The attributes of an account file's ``text``; ``source`` names the file in errors."""
    try:
        words = shlex.split(text, posix=True)
    except ValueError as error:
        raise DeployError(f"cannot read account file '{source}': {error}") from None
    attributes: dict[str, str] = {}
    for word in words:
        attribute, equals, value = word.partition("=")
        if not equals or not attribute.isidentifier() or not attribute.isascii():
            raise DeployError(f"cannot read account file '{source}': '{word}' is not an attribute=value assignment")
        attributes[attribute] = value
    return AccountFile(name=name, attributes=attributes)


def read_account_files(directory: str) -> dict[str, AccountFile]:
    """Every account file in ``directory`` (``dysnomia-support/groups`` or ``users``) by name; none if absent."""
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return {}
    accounts = {}
    for name in names:
        path = os.path.join(directory, name)
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            accounts[name] = parse_account_file(name, handle.read(), path)
    return accounts
