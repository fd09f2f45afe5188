"""What ``--json`` prints after a build or a switch, for scripts that act on it."""
from __future__ import annotations

from typing import TYPE_CHECKING, Self

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from nixproc_disnix.deploy.plan import SwitchPlan

_STRICT = ConfigDict(strict=True, extra="forbid", frozen=True)


class _Rendered(BaseModel):
    model_config = _STRICT

    @classmethod
    def parse_json(cls, text: str | bytes) -> Self:
        """Read what :meth:`render_json` wrote."""
        return cls.model_validate_json(text)

    def render_json(self) -> str:
        """Indented, one trailing newline."""
        return self.model_dump_json(indent=2) + "\n"


class BuildResult(_Rendered):
    """``nixproc-build --json``: the profile's store path, the result link, and the store paths this run built.

    ``built`` is empty when everything was valid already (an unchanged model
    rebuilds nothing); ``out_link`` is None with ``--no-out-link``.
    """

    profile: str
    out_link: str | None
    built: list[str]


class SwitchResult(_Rendered):
    """``nixproc-<pm>-switch --json`` and ``-deploy --json``: what the switch did (or, with ``dry_run``, would do).

    ``stopped`` and ``started`` are in the order the switch runs them
    (dependents stopped first, dependencies started first); ``restarted``
    are the processes in both, whose output changed; ``unchanged`` were left
    running. Account names are those of ``dysnomia-support``.
    """

    process_manager: str
    dry_run: bool
    stopped: list[str]
    started: list[str]
    restarted: list[str]
    unchanged: list[str]
    added_groups: list[str]
    added_users: list[str]
    deleted_users: list[str]
    deleted_groups: list[str]

    @classmethod
    def of_plan(cls, plan: SwitchPlan, process_manager: str, dry_run: bool) -> SwitchResult:
        return cls(
            process_manager=process_manager, dry_run=dry_run,
            stopped=[process.name for level in plan.stop for process in level],
            started=[process.name for level in plan.start for process in level],
            restarted=list(plan.restart), unchanged=list(plan.unchanged),
            added_groups=[group.name for group in plan.add_groups],
            added_users=[user.name for user in plan.add_users],
            deleted_users=[user.name for user in plan.delete_users],
            deleted_groups=[group.name for group in plan.delete_groups],
        )
