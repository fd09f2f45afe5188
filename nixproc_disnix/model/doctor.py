"""The report of ``nixproc doctor`` (its ``--json`` output), for scripts that pick a process manager."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

_STRICT = ConfigDict(strict=True, extra="forbid")

Kind = Literal["process manager", "tool"]


class ToolStatus(BaseModel):
    """One executable: where PATH finds it and the version it reports (None when it has no version flag)."""

    model_config = _STRICT

    command: str
    required: bool
    found: bool
    path: str | None = None
    version: str | None = None


class CheckStatus(BaseModel):
    """A condition beyond the executables, e.g. that systemd runs as PID 1."""

    model_config = _STRICT

    name: str
    ok: bool
    detail: str


class ComponentStatus(BaseModel):
    """A process manager (named as in ``nixproc-<name>-switch``) or a tool, and whether it can run here.

    ``available`` needs the right platform, every required tool and every
    check; otherwise ``hint`` says what to do (what to install, or why not here).
    """

    model_config = _STRICT

    name: str
    kind: Kind
    available: bool
    tools: list[ToolStatus]
    checks: list[CheckStatus] = []
    hint: str | None = None


class DoctorReport(BaseModel):
    """Every component, in a fixed order, on this machine's platform (``sys.platform``)."""

    model_config = _STRICT

    platform: str
    components: list[ComponentStatus]

    @classmethod
    def parse_json(cls, text: str | bytes) -> DoctorReport:
        """Read what :meth:`render_json` wrote."""
        return cls.model_validate_json(text)

    def render_json(self) -> str:
        """The ``--json`` output: indented, one trailing newline."""
        return self.model_dump_json(indent=2) + "\n"
