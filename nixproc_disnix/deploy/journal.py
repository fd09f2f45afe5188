"""The switch journal: the profiles a switch set out to deploy, kept until what runs matches a generation again.

A switch killed with SIGKILL undoes nothing: some new processes run, some
old ones are stopped, and no generation says so. Before it touches a
process, a switch therefore adds a link ``<profile>.pending-<hash>`` to the
profile it deploys, beside the generation links, and removes every such
link once the processes match a recorded generation (it recorded its own,
or rolled back completely). The next switch of the profile plans from the
old generation *and* the pending profiles (``interrupted`` of
:func:`~nixproc_disnix.deploy.plan.plan_switch`), whatever it deploys. They
are links rather than a file naming paths because the profile folder is a
garbage-collector root: the pending profiles, whose scripts stop what they
left running, stay in the store. A link is made by one ``symlink`` and the
folder is fsynced, so a kill never leaves half an entry.

Reading the journal and the profile and then changing what runs must not
interleave with another switch of the same profile: :func:`locked` holds
``<profile>.switch-lock`` for the whole switch.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

from nixproc_disnix.errors import DeployError
from nixproc_disnix.store.profiles import fsync_dir

PENDING = ".pending-"


@contextmanager
def locked(profile: str) -> Iterator[None]:
    """Hold the profile's switch lock (waiting for a running switch to finish); the kernel drops it if we die."""
    try:
        os.makedirs(os.path.dirname(profile), exist_ok=True)
        lock = open(f"{profile}.switch-lock", "a")
    except OSError as error:  # an unwritable profile folder
        raise DeployError(f"cannot lock profile '{profile}': {error.strerror}") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _pending_links(profile: str) -> list[str]:
    directory, name = os.path.split(profile)
    try:
        entries = os.listdir(directory)
    except FileNotFoundError:
        return []
    return sorted(os.path.join(directory, entry) for entry in entries if entry.startswith(name + PENDING))


def interrupted(profile: str) -> list[str]:
    """The profiles that switches of ``profile`` set out to deploy and did not settle."""
    return [os.readlink(link) for link in _pending_links(profile)]


def begin(profile: str, path: str) -> None:
    """Note that a switch of ``profile`` to ``path`` starts changing what runs."""
    link = f"{profile}{PENDING}{hashlib.sha256(path.encode('utf-8', 'surrogateescape')).hexdigest()[:32]}"
    if not os.path.lexists(link):
        os.symlink(path, link)
        fsync_dir(os.path.dirname(profile))


def settle(profile: str) -> None:
    """Forget every pending profile: what runs is a recorded generation's processes."""
    links = _pending_links(profile)
    for link in links:
        os.unlink(link)
    if links:
        fsync_dir(os.path.dirname(profile))
