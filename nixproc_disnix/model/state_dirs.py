"""The state-directory options every command takes (SPEC §1.1, §5.1).

Only what the user gave is passed to a processes model, so a directory
nobody named falls back to the model's own default, as upstream's builders
do. Tools that need every directory (``nixproc-generate-config``) fill the
rest in with the builders' defaults.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from nixproc_disnix.backends.common.settings import BackendSettings


class StateDirs(BaseModel):
    """``--state-dir`` … ``--lib-dir`` and ``--force-disable-user-change`` as given (None: not given)."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    state_dir: str | None = None
    runtime_dir: str | None = None
    log_dir: str | None = None
    tmp_dir: str | None = None
    cache_dir: str | None = None
    spool_dir: str | None = None
    lock_dir: str | None = None
    lib_dir: str | None = None
    force_disable_user_change: bool = False

    def model_arguments(self) -> dict[str, Any]:
        """The given directories by their model parameter names; ``forceDisableUserChange`` only when set."""
        arguments = self.model_dump(by_alias=True, exclude_none=True)
        if not self.force_disable_user_change:
            del arguments["forceDisableUserChange"]
        return arguments

    def backend_settings(self) -> BackendSettings:
        """Every directory a generator needs, the builders' defaults for those not given."""
        given = {
            field: getattr(self, field)
            for field in ("state_dir", "runtime_dir", "log_dir", "tmp_dir")
            if getattr(self, field) is not None
        }
        return BackendSettings(**given, force_disable_user_change=self.force_disable_user_change)
