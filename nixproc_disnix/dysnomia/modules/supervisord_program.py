"""Dysnomia's ``supervisord-program`` module: add a component's programs to a running supervisord (SPEC §6.2).

Activation links the component's ``conf.d/*`` into the directory the
supervisord includes, then ``supervisorctl reread`` and ``update`` (which
starts new programs); deactivation stops each linked program, removes its
link and updates again. Container properties: ``supervisordTargetDir``
(``/var/lib/supervisord/conf.d``) and, our addition, ``supervisordServerUrl``
(``supervisorctl -s``) for a supervisord that is not the machine's default,
e.g. one deployed as a service container. Unlike upstream, activation
waits a moment for a supervisord that does not answer yet (one started
just before as the container's provider), a failed activation unlinks
the component's programs again, and activations into one supervisord take
turns (a lock beside the target directory): Disnix activates independent
services in parallel, and two ``reread``/``update`` rounds racing in one
supervisord fail.
"""
from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from nixproc_disnix.dysnomia.accounts import created_accounts, delete_accounts
from nixproc_disnix.dysnomia.module import ModuleCall
from nixproc_disnix.store.roots import replace_symlink

SERVER_TIMEOUT = 10.0
"""Seconds activation waits for supervisord to answer before it tries anyway (and fails if it still does not)."""


def _target_dir(call: ModuleCall) -> str:
    return call.get("supervisordTargetDir", "/var/lib/supervisord/conf.d")


@contextmanager
def _container_turn(call: ModuleCall) -> Iterator[None]:
    """Hold the container's lock: one component at a time changes what this supervisord runs."""
    target_dir = _target_dir(call)
    os.makedirs(target_dir, exist_ok=True)
    fd = os.open(target_dir.rstrip("/") + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _supervisorctl(call: ModuleCall, *args: str) -> list[str]:
    server = call.get("supervisordServerUrl")
    return ["supervisorctl", *(["-s", server] if server else []), *args]


def _wait_for_server(call: ModuleCall) -> None:
    """A supervisord started a moment ago (its container provider, activated just before) may not listen yet."""
    deadline = time.monotonic() + SERVER_TIMEOUT
    while not call.succeeds(_supervisorctl(call, "pid")) and time.monotonic() < deadline:
        time.sleep(0.2)


def _update(call: ModuleCall, check: bool = True) -> None:
    call.run(_supervisorctl(call, "reread"), check)
    call.run(_supervisorctl(call, "update"), check)


def _remove_programs(call: ModuleCall, check: bool = True) -> None:
    """Stop and unlink every program of the component that is installed, then let supervisord drop them.

    Without ``check`` (undoing a failed activation) a failing ``supervisorctl`` is only reported.
    """
    target_dir = _target_dir(call)
    for entry in call.entries("conf.d"):
        installed = os.path.join(target_dir, entry)
        if os.path.lexists(installed):
            call.run(_supervisorctl(call, "stop", entry.removesuffix(".conf")), check=False)
            os.unlink(installed)
    _update(call, check)


def activate(call: ModuleCall) -> None:
    with created_accounts(call), _container_turn(call):
        try:
            for entry in call.entries("conf.d"):
                replace_symlink(call.component_path("conf.d", entry), os.path.join(_target_dir(call), entry))
            _wait_for_server(call)
            _update(call)
        except BaseException:
            _remove_programs(call, check=False)
            raise
    call.mark_active()


def deactivate(call: ModuleCall) -> None:
    with _container_turn(call):
        _remove_programs(call)
    delete_accounts(call)
    call.unmark_active()
