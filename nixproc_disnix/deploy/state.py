"""``nixproc-init-state``: create the state directories processes write to (SPEC §5.3).

Run before every deployment, so a process never fails for lack of its
runtime, log or temporary directory. :func:`state_layout` decides where
each directory is (pure); :func:`init_state` creates what is missing.
"""
from __future__ import annotations

import os
import sys

from pydantic import BaseModel, ConfigDict

from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.state_dirs import StateDirs

DEFAULT_STATE_DIR = "/var"


class StateLayout(BaseModel):
    """Where each state directory is; ``links`` are the ``<state>/tmp`` and ``<state>/run`` symlinks to make."""

    model_config = ConfigDict(frozen=True)

    state_dir: str
    tmp_dir: str
    runtime_dir: str
    others: tuple[str, ...]
    """Log, cache, spool, lock and lib directories."""
    links: tuple[tuple[str, str], ...]
    """(link, target) pairs, made only where nothing exists yet."""
    public_tmp: bool
    """Whether a created tmp directory is shared by all users (mode 1777)."""


def default_runtime_dir() -> str:
    """The system's runtime directory: ``/run`` on Linux and Cygwin, ``/var/run`` elsewhere."""
    return "/run" if sys.platform.startswith(("linux", "cygwin")) else "/var/run"


def state_layout(dirs: StateDirs) -> StateLayout:
    """The directories ``dirs`` stand for, defaults filled in as upstream's ``nixproc-init-state`` does."""
    state_dir = dirs.state_dir or DEFAULT_STATE_DIR
    system = state_dir == DEFAULT_STATE_DIR
    tmp_dir = dirs.tmp_dir or ("/tmp" if system else os.path.join(state_dir, "tmp"))
    runtime_dir = dirs.runtime_dir or (default_runtime_dir() if system else os.path.join(state_dir, "run"))
    links = []
    if tmp_dir == "/tmp":
        links.append((os.path.join(state_dir, "tmp"), "/tmp"))
    if runtime_dir == "/run":
        links.append((os.path.join(state_dir, "run"), "/run"))
    others = tuple(
        given or os.path.join(state_dir, name)
        for given, name in (
            (dirs.log_dir, "log"), (dirs.cache_dir, "cache"), (dirs.spool_dir, "spool"),
            (dirs.lock_dir, "lock"), (dirs.lib_dir, "lib"),
        )
    )
    return StateLayout(
        state_dir=state_dir, tmp_dir=tmp_dir, runtime_dir=runtime_dir, others=others, links=tuple(links),
        public_tmp=not dirs.force_disable_user_change,
    )


def init_state(dirs: StateDirs) -> list[str]:
    """Create the missing state directories and links; the paths created, in order."""
    layout = state_layout(dirs)
    created: list[str] = []
    try:
        _make_dir(layout.state_dir, created)
        if not os.path.isdir(layout.tmp_dir):
            _make_dir(layout.tmp_dir, created)
            if layout.public_tmp:
                os.chmod(layout.tmp_dir, 0o1777)
        _make_dir(layout.runtime_dir, created)
        for link, target in layout.links:
            if not os.path.lexists(link):
                os.symlink(target, link)
                created.append(link)
        for directory in layout.others:
            _make_dir(directory, created)
    except OSError as error:
        raise DeployError(f"cannot create state directory '{error.filename}': {error.strerror}") from None
    return created


def _make_dir(path: str, created: list[str]) -> None:
    if not os.path.isdir(path):
        os.makedirs(path)
        created.append(path)
