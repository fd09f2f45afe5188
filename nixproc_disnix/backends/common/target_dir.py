"""Putting a profile's files where a process manager looks for them: systemd units, rc.d scripts, launchd plists.

Some managers only see what is in their own directory (``SYSTEMD_TARGET_DIR``,
``BSDRC_TARGET_DIR``, ``LAUNCHD_TARGET_DIR``). Activating a profile there
means: every entry of the new profile present (a link to, or a copy of, the
process output's file), every entry only the previous profile had gone.
Only what a deployment put there is removed or replaced: an entry is
removed when it still is the previous profile's link or copy, and a link is
never put in place of something that is not a link. All of that is checked
before anything changes, so a refused activation leaves the directory as
it was.
"""
from __future__ import annotations

import enum
import os
from collections.abc import Mapping

from nixproc_disnix.errors import DeployError
from nixproc_disnix.idassign.output import write_atomically
from nixproc_disnix.model.deployed_profile import DeployedProfile
from nixproc_disnix.store.roots import replace_symlink

Entries = Mapping[str, str]
"""File names in the target directory → the files in process outputs they stand for."""


class Placement(enum.Enum):
    """How an entry stands for its file: a symbolic link to it, or a copy (launchd refuses links)."""

    LINK = "link"
    COPY = "copy"


def output_entries(out_path: str, subdirectory: str) -> dict[str, str]:
    """The files directly in ``<out_path>/<subdirectory>``, by name; none when it does not exist."""
    directory = os.path.join(out_path, subdirectory)
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return {}
    return {name: os.path.join(directory, name) for name in names}


def profile_entries(profile: DeployedProfile, subdirectory: str) -> dict[str, str]:
    """:func:`output_entries` of every process of ``profile``; two processes claiming one name is an error."""
    entries: dict[str, str] = {}
    for process in profile.processes.values():
        for name, source in output_entries(process.out_path, subdirectory).items():
            if name in entries:
                raise DeployError(f"profile '{profile.path}': two processes provide {subdirectory}/{name}")
            entries[name] = source
    return entries


def install_entries(target_dir: str, entries: Entries, previous: Entries, placement: Placement) -> bool:
    """Make ``target_dir`` (created if missing) hold ``entries`` instead of ``previous``; whether anything changed."""
    os.makedirs(target_dir, exist_ok=True)
    for name in entries:
        destination = os.path.join(target_dir, name)
        if placement is Placement.LINK and os.path.lexists(destination) and not os.path.islink(destination):
            raise DeployError(f"cannot link {destination}: it exists and is not a symbolic link")
        if placement is Placement.COPY and os.path.isdir(destination):
            raise DeployError(f"cannot copy to {destination}: it is a directory")
    changed = False
    for name in sorted(previous.keys() - entries.keys()):
        destination = os.path.join(target_dir, name)
        if _holds(destination, previous[name], placement):
            os.unlink(destination)
            changed = True
    for name, source in sorted(entries.items()):
        destination = os.path.join(target_dir, name)
        if _holds(destination, source, placement):
            continue
        if placement is Placement.LINK:
            replace_symlink(source, destination)
        else:
            with open(source, "rb") as handle:
                write_atomically(destination, handle.read())
        changed = True
    return changed


def _holds(destination: str, source: str, placement: Placement) -> bool:
    """Whether ``destination`` is ``source``'s link (or an identical copy of it)."""
    if placement is Placement.LINK:
        return os.path.islink(destination) and os.readlink(destination) == source
    if os.path.islink(destination) or not os.path.isfile(destination):
        return False
    with open(destination, "rb") as installed, open(source, "rb") as original:
        return installed.read() == original.read()
