"""The ``credentials`` parameter of createManagedProcess (SPEC §2.5).

``{ groups = { <group> = { gid? … }; }; users = { <user> = { group?, … }; }; }``.
Upstream writes every attribute of an account through to dysnomia-support,
so unknown attributes are kept (``extra="allow"``); the documented ones are
typed so a mistake is reported against the account that holds it. Only what
was given is rendered back, so an agnostic JSON round trip is exact.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

_ACCOUNT = ConfigDict(strict=True, extra="allow", alias_generator=to_camel, populate_by_name=True)


class Group(BaseModel):
    """One group to create; ``gid`` absent means: take it from ``ids.gids`` if assigned there."""

    model_config = _ACCOUNT

    gid: int | str | None = None


class User(BaseModel):
    """One user to create; ``uid`` absent means: take it from ``ids.uids`` if assigned there.

    With ``forceDisableUserChange`` only ``home_dir`` and ``create_home_dir``
    matter: the account is not created, its home directory is.
    """

    model_config = _ACCOUNT

    group: str | None = None
    description: str | None = None
    home_dir: str | None = None
    create_home_dir: bool | None = None
    shell: str | None = None
    uid: int | str | None = None
    password: str | None = None


class Credentials(BaseModel):
    """Groups and users a process needs; both sections optional, as upstream."""

    model_config = ConfigDict(strict=True, extra="forbid")

    groups: dict[str, Group] = Field(default_factory=dict)
    users: dict[str, User] = Field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        """The attribute set as it was given: unset sections and attributes stay absent."""
        return self.model_dump(by_alias=True, exclude_unset=True)
