"""The machine-wide knobs every generator is composed with (SPEC §1.1, §2.7).

Upstream passes ``stateDir``, ``runtimeDir``, ``logDir``, ``tmpDir`` and
``forceDisableUserChange`` to each backend's composition; the directories
default relative to ``stateDir``. ``ids`` feeds createCredentials;
``wait_ready`` is ours.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from nixproc_disnix.model.ids import Ids


class BackendSettings(BaseModel):
    """State directories and user-change policy shared by all backends."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    state_dir: str = "/var"
    runtime_dir: str
    log_dir: str
    tmp_dir: str
    force_disable_user_change: bool = False
    ids: Ids | None = None
    wait_ready: str | None = None
    """The ``nixproc-wait-ready`` a process's readiness check runs: our tools package's, in the store, when the
    framework gives it (``nixproc/wait-ready.nix``); None: this installation's console script."""

    @model_validator(mode="before")
    @classmethod
    def _default_dirs(cls, data: Any) -> Any:
        """``runtimeDir``/``logDir`` under ``stateDir``; ``tmpDir`` is ``/tmp`` only for ``/var``."""
        if not isinstance(data, dict):
            return data
        state_dir = data.get("state_dir", "/var")
        return {
            "runtime_dir": f"{state_dir}/run",
            "log_dir": f"{state_dir}/log",
            "tmp_dir": "/tmp" if state_dir == "/var" else f"{state_dir}/tmp",
            **data,
        }
