"""What a built deployment profile deploys: its processes, their dependencies, and its accounts.

A profile made by ``nixproc-build`` links every process's
``nix-support/nixproc/<name>.json`` (see
:class:`~nixproc_disnix.backends.common.backend.ProcessInfo`) and the merged
``dysnomia-support/{groups,users}``. The JSON file's real location is inside
the process's output, which gives the output's store path: a process whose
output path is the same in two profiles is unchanged between them. Nothing
here depends on the process manager.
"""
from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, ValidationError

from nixproc_disnix.backends.common.backend import PROCESS_INFO_DIR, ProcessInfo
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.dysnomia_support import AccountFile, read_account_files
from nixproc_disnix.model.readiness import Readiness


class DeployedProcess(BaseModel):
    """One process of a profile; ``dependencies`` names the processes of the same profile it needs running."""

    model_config = ConfigDict(frozen=True, strict=True)

    name: str
    process_manager: str
    out_path: str
    dependencies: tuple[str, ...] = ()
    readiness: Readiness | None = None


class DeployedProfile(BaseModel):
    """A profile's processes and accounts; ``path`` (its store path) is None for "nothing deployed"."""

    model_config = ConfigDict(frozen=True, strict=True)

    path: str | None = None
    processes: dict[str, DeployedProcess] = {}
    groups: dict[str, AccountFile] = {}
    users: dict[str, AccountFile] = {}


def read_profile(path: str | None) -> DeployedProfile:
    """The profile at ``path`` (a store path or a link to one); None or a missing profile deploys nothing."""
    if path is None or not os.path.exists(path):
        return DeployedProfile()
    root = os.path.realpath(path)
    infos: dict[str, tuple[ProcessInfo, str]] = {}
    info_dir = os.path.join(root, PROCESS_INFO_DIR)
    for entry in sorted(os.listdir(info_dir)) if os.path.isdir(info_dir) else []:
        if not entry.endswith(".json"):
            continue
        location = os.path.realpath(os.path.join(info_dir, entry))
        try:
            with open(location, encoding="utf-8") as handle:
                info = ProcessInfo.model_validate_json(handle.read())
        except (OSError, ValidationError) as error:
            raise DeployError(f"profile '{path}': cannot read '{entry}': {error}") from None
        out_path = os.path.dirname(os.path.dirname(os.path.dirname(location)))
        infos[info.name] = (info, out_path)
    names_by_out = {out_path: name for name, (_, out_path) in infos.items()}
    processes = {
        name: DeployedProcess(
            name=name,
            process_manager=info.process_manager,
            out_path=out_path,
            dependencies=tuple(names_by_out[dependency] for dependency in info.dependencies if dependency in names_by_out),
            readiness=info.readiness,
        )
        for name, (info, out_path) in infos.items()
    }
    support = os.path.join(root, "dysnomia-support")
    return DeployedProfile(
        path=root,
        processes=processes,
        groups=read_account_files(os.path.join(support, "groups")),
        users=read_account_files(os.path.join(support, "users")),
    )
