"""``readiness``: when a started process counts as ready, whatever the process manager.

An optional createManagedProcess parameter beyond upstream's: exactly one
check (a TCP port accepting connections on 127.0.0.1, an HTTP GET
answering 2xx, a command exiting 0, or a line matching a regular
expression in the process's log) with a timeout and a polling interval.
Switches start a process's dependents only once it is ready, and a
timeout rolls the switch back. It is carried in the agnostic JSON and in
each output's ``nix-support/nixproc/<name>.json``.
"""
from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel


class Readiness(BaseModel):
    """One readiness check; ``timeout`` and ``interval`` in seconds."""

    model_config = ConfigDict(strict=True, extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)

    tcp_port: int | None = Field(default=None, ge=1, le=65535)
    http: str | None = None
    command: list[str] | None = None
    log_line: str | None = None
    timeout: int | float = Field(default=30, gt=0)
    interval: int | float = Field(default=0.5, gt=0)

    @field_validator("http")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith("http://"):
            raise ValueError("must be an http:// URL")
        return url

    @field_validator("log_line")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"is not a regular expression: {error}") from None
        return pattern

    @model_validator(mode="after")
    def _exactly_one_check(self) -> Readiness:
        given = [name for name in ("tcp_port", "http", "command", "log_line") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of tcpPort, http, command, logLine")
        return self
