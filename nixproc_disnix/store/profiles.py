"""Profiles and their generations, laid out and behaving as Nix 2.8's.

A profile ``<dir>/<name>`` is a symlink to ``<name>-<N>-link`` (a relative
name, so the directory can move), and each generation link points to a store
path. Because the generation links point into the store they are its GC
roots; nothing else needs registering. Users switch between ``nix-env`` and
our tools on the same profile, so the rules are Nix's (``libstore/profiles.cc``):

- the current generation is the number in the name the profile link points
  to; generations are every ``<name>-<N>-link`` in the directory, by number;
- a new generation is numbered one above the highest, so numbers never repeat
  after deletions;
- the profile link only ever changes by ``os.replace`` of a fresh link, so it
  always resolves, and mutations hold ``<profile>.lock`` (as Nix's
  ``lockProfile`` does) so two tools never race on the numbering.

Error messages are ``nix-env``'s words (Nix 2.8 says "version" for
generation).
"""
from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.profile import Generation

_DAY = 24 * 3600


def _generation_number(profile_name: str, link_name: str) -> int | None:
    """N for ``<profile_name>-<N>-link``, else ``None``."""
    prefix, suffix = f"{profile_name}-", "-link"
    if not (link_name.startswith(prefix) and link_name.endswith(suffix)):
        return None
    digits = link_name[len(prefix):-len(suffix)]
    return int(digits) if digits.isascii() and digits.isdigit() else None


def _link_path(profile: str, number: int) -> str:
    return f"{profile}-{number}-link"


def current_generation(profile: str) -> int | None:
    """The generation the profile link names, or ``None`` (no profile, or a link elsewhere)."""
    try:
        target = os.readlink(profile)
    except OSError:
        return None
    return _generation_number(os.path.basename(profile), os.path.basename(target))


def list_generations(profile: str) -> list[Generation]:
    """Every generation link of ``profile``, by number; none if its directory is missing."""
    profile = os.path.abspath(profile)
    directory, name = os.path.split(profile)
    current = current_generation(profile)
    generations = []
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    for entry in entries:
        number = _generation_number(name, entry.name)
        if number is None:
            continue
        try:
            target = os.readlink(entry.path)
            mtime = int(entry.stat(follow_symlinks=False).st_mtime)
        except OSError:
            continue  # removed meanwhile, or not a link: not a generation
        generations.append(
            Generation(number=number, link=entry.path, target=target, creation_time=mtime, current=number == current)
        )
    return sorted(generations, key=lambda g: g.number)


@contextmanager
def _locked(profile: str) -> Iterator[None]:
    """Hold ``<profile>.lock`` so we and ``nix-env`` serialize changes to one profile.

    It is the file and the ``flock`` Nix's ``lockProfile`` takes. Nix unlinks
    it on release, so a lock won on an unlinked file is retried.
    """
    while True:
        try:
            lock = open(f"{profile}.lock", "a")
        except FileNotFoundError:  # no profile directory: no generations to race on
            yield
            return
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if os.fstat(lock.fileno()).st_nlink == 0:
                continue
            yield
            return


def fsync_dir(directory: str) -> None:
    """Make the links just made or removed in ``directory`` survive a crash."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _require_link_or_absent(profile: str) -> None:
    """Refuse to replace a real file or directory that happens to sit where the profile goes."""
    if os.path.lexists(profile) and not os.path.islink(profile):
        raise DeployError(f"profile '{profile}' exists and is not a symlink")


def _switch_link(profile: str, number: int) -> None:
    """Point the profile at generation ``number`` with one ``rename``: it never dangles or vanishes."""
    _require_link_or_absent(profile)
    directory = os.path.dirname(profile)
    temporary = os.path.join(directory, f".{os.path.basename(profile)}.tmp-{os.getpid()}-{os.urandom(4).hex()}")
    os.symlink(os.path.basename(_link_path(profile, number)), temporary)
    try:
        os.replace(temporary, profile)
    except OSError:
        os.unlink(temporary)
        raise
    fsync_dir(directory)


def create_generation(profile: str, store_path: str) -> int:
    """Record ``store_path`` as a new generation and make it current; returns its number.

    As Nix's ``createGeneration``: when the newest generation already points
    to ``store_path`` no link is made and that generation becomes current, so
    redeploying an unchanged configuration adds no generation. The new link
    is made with ``symlink`` (atomic, and it refuses to clobber).
    """
    profile = os.path.abspath(profile)
    store_path = os.path.abspath(store_path)
    if not os.path.exists(store_path):
        raise DeployError(f"cannot add '{store_path}' to profile '{profile}': path does not exist")
    try:
        os.makedirs(os.path.dirname(profile), exist_ok=True)
        with _locked(profile):
            _require_link_or_absent(profile)
            generations = list_generations(profile)
            if generations and generations[-1].target == store_path:
                number = generations[-1].number
            else:
                number = generations[-1].number + 1 if generations else 1
                os.symlink(store_path, _link_path(profile, number))
            _switch_link(profile, number)
    except OSError as error:  # an unwritable profile folder
        raise DeployError(f"cannot add '{store_path}' to profile '{profile}': {error.strerror}") from None
    return number


def switch_generation(profile: str, number: int) -> Generation:
    """``nix-env --switch-generation N``: make an existing generation current."""
    profile = os.path.abspath(profile)
    with _locked(profile):
        for generation in list_generations(profile):
            if generation.number == number:
                _switch_link(profile, number)
                return generation.model_copy(update={"current": True})
    raise DeployError(f"profile version {number} does not exist")


def rollback(profile: str) -> Generation:
    """``nix-env --rollback``: switch to the highest generation below the current one."""
    profile = os.path.abspath(profile)
    with _locked(profile):
        current = current_generation(profile)
        older = [g for g in list_generations(profile) if current is not None and g.number < current]
        if not older:
            raise DeployError(f"no profile version older than the current ({current or 0}) exists")
        _switch_link(profile, older[-1].number)
    return older[-1].model_copy(update={"current": True})


def previous_deployment(profile: str) -> Generation:
    """The target of ``nixproc-<pm>-switch --rollback`` (SPEC §5.4).

    Upstream's switch scripts take the second-newest generation, whatever the
    current one is, and deploy it as a new generation; unlike ``rollback``
    this never moves the profile link itself.
    """
    generations = list_generations(profile)
    if len(generations) < 2:
        raise DeployError("Unable to roll back as there are no known previous deployments!")
    return generations[-2]


def _numbers_to_delete(
    profile: str, generations: list[Generation], current: int | None, spec: Sequence[str], now: float
) -> set[int]:
    """Which generations ``nix-env --delete-generations SPEC`` removes (Nix 2.8's ``opDeleteGenerations``).

    - ``old``: all but the current one.
    - ``Nd``: those older than N days, except the newest of them, because it
      was the one in use N days ago; newest first, the first generation
      created before ``now - N days`` is kept and every older one goes.
    - ``+N``: keep the current generation, the N-1 before it and all newer
      ones; delete the rest.
    - numbers: those generations; missing ones are ignored, naming the
      current one is an error.

    The keywords must be the only argument. The current generation is never
    deleted.
    """
    numbers = [g.number for g in generations]
    if len(spec) == 1 and spec[0] == "old":
        doomed = set(numbers)
    elif len(spec) == 1 and "d" in spec[0]:
        days = spec[0][:-1]
        if not spec[0].endswith("d"):
            raise DeployError(f"invalid number of days specifier '{spec[0]}', expected something like '14d'")
        if not (days.isascii() and days.isdigit() and int(days) >= 1):
            raise DeployError(f"invalid number of days specifier '{spec[0]}'")
        threshold = int(now) - int(days) * _DAY
        doomed, keep_one = set(), True
        for generation in reversed(generations):
            if generation.creation_time < threshold:
                if keep_one:
                    keep_one = False
                else:
                    doomed.add(generation.number)
    elif len(spec) == 1 and "+" in spec[0]:
        count = spec[0][1:]
        if len(spec[0]) < 2:
            raise DeployError(f"invalid number of generations '{spec[0]}'")
        if not (spec[0].startswith("+") and count.isascii() and count.isdigit() and int(count) >= 1):
            raise DeployError(f"invalid number of generations to keep '{spec[0]}'")
        doomed, keep, seen_current = set(), int(count), False
        for number in reversed(numbers):
            if number == current:
                seen_current, keep = True, keep - 1
            elif seen_current:
                if keep:
                    keep -= 1
                else:
                    doomed.add(number)
    else:
        requested = set()
        for item in spec:
            if not (item.isascii() and item.isdigit()):
                raise DeployError(f"invalid generation number '{item}'")
            requested.add(int(item))
        if current in requested:
            raise DeployError(f"cannot delete current version of profile '{profile}'")
        doomed = requested & set(numbers)
    return doomed - {current}


def delete_generations(profile: str, spec: Sequence[int | str], now: float | None = None) -> list[int]:
    """``nix-env --delete-generations SPEC``; returns the deleted numbers, ascending.

    ``now`` (seconds since the epoch) pins the clock for ``Nd``.
    """
    profile = os.path.abspath(profile)
    with _locked(profile):
        generations = list_generations(profile)
        current = current_generation(profile)
        clock = time.time() if now is None else now
        doomed = _numbers_to_delete(profile, generations, current, [str(item) for item in spec], clock)
        for number in sorted(doomed):
            os.unlink(_link_path(profile, number))
    return sorted(doomed)


def delete_all_generations(profile: str) -> list[int]:
    """``nixproc-<pm>-switch --delete-all-generations`` (SPEC §5.4): the profile link and every generation go.

    The profile link goes first so it never points at a missing generation.
    """
    profile = os.path.abspath(profile)
    with _locked(profile):
        generations = list_generations(profile)
        if os.path.islink(profile):
            os.unlink(profile)
        for generation in generations:
            os.unlink(generation.link)
    return [g.number for g in generations]
