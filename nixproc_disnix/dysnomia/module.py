"""The Dysnomia module protocol (SPEC §6.1) and what every module shares.

A module is called as ``<module> ACTIVITY COMPONENT CONTAINER`` with the
container's properties as environment variables. :class:`ModuleCall` is
that call as data: modules read properties from its environment, run
commands in it (so processes they start inherit the container's
properties, as under Dysnomia), and keep Dysnomia's state markers under
``$DYSNOMIA_STATEDIR``. Activities a module does not implement succeed
without doing anything, as Dysnomia's modules ignore them.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import overload

from nixproc_disnix.errors import DeployError
from nixproc_disnix.store.paths import store_name

ACTIVITIES = ("activate", "deactivate", "lock", "unlock", "snapshot", "restore", "collect-garbage", "shell")

Report = Callable[[str], None]
"""Where a module's messages and its commands' output go, one line per call."""

def default_state_dir(environment: Mapping[str, str]) -> str:
    """``$DYSNOMIA_STATEDIR``, else ``/var/state/dysnomia`` for root and ``~/.dysnomia`` for others."""
    if environment.get("DYSNOMIA_STATEDIR"):
        return environment["DYSNOMIA_STATEDIR"]
    return "/var/state/dysnomia" if os.geteuid() == 0 else os.path.join(os.path.expanduser("~"), ".dysnomia")


@dataclass(frozen=True)
class ModuleCall:
    """One call of a module: ``type`` (the module's name), the activity, the component path, arg 3, the environment."""

    type: str
    activity: str
    component: str
    container: str
    environment: Mapping[str, str]
    report: Report

    @overload
    def get(self, name: str) -> str | None: ...

    @overload
    def get(self, name: str, default: str) -> str: ...

    def get(self, name: str, default: str | None = None) -> str | None:
        """A container property; unset or empty gives ``default``, as ``${name:-default}`` does."""
        return self.environment.get(name) or default

    def flag(self, name: str) -> bool:
        """A boolean container property: ``1`` means yes."""
        return self.environment.get(name) == "1"

    @property
    def component_name(self) -> str:
        return store_name(self.component)

    @property
    def container_name(self) -> str:
        """Arg 3's name, or the module's own name when arg 3 is empty."""
        return store_name(self.container) if self.container else self.type

    def component_path(self, *parts: str) -> str:
        return os.path.join(self.component, *parts)

    def entries(self, *parts: str) -> list[str]:
        """The names in a folder of the component, sorted as ``ls`` sorts them in the C locale; none if absent."""
        try:
            return sorted(os.listdir(self.component_path(*parts)))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def run(self, argv: Sequence[str], check: bool = True) -> int:
        """Run ``argv`` in this call's environment; its output is reported, a failure raised unless not ``check``."""
        status, output, _ = self._execute(argv, merge=True)
        for line in output.splitlines():
            self.report(line)
        if check and status != 0:
            raise self._failed(argv, status)
        return status

    def succeeds(self, argv: Sequence[str]) -> bool:
        """Whether ``argv`` exits with status 0 (a probe: its output is dropped)."""
        return self._execute(argv, merge=True)[0] == 0

    def output(self, argv: Sequence[str]) -> str:
        """Run ``argv`` for what it prints on stdout (a query); its stderr is reported, a failure raised."""
        status, output, errors = self._execute(argv, merge=False)
        for line in errors.splitlines():
            self.report(line)
        if status != 0:
            raise self._failed(argv, status)
        return output

    def _execute(self, argv: Sequence[str], merge: bool) -> tuple[int, str, str]:
        """Exit status, stdout and stderr (``merge``: both in the first) of ``argv``, run in ``/`` without input.

        Output goes through files, not pipes: a daemon the command starts
        keeps the descriptors it inherited, and a pipe would never end.
        """
        with tempfile.TemporaryFile() as output, tempfile.TemporaryFile() as errors:
            try:
                completed = subprocess.run(
                    list(argv), cwd="/", env=dict(self.environment), stdin=subprocess.DEVNULL, stdout=output,
                    stderr=output if merge else errors,
                )
            except OSError as error:
                raise DeployError(f"{self.type}: cannot run {argv[0]}: {error.strerror}") from None
            texts = []
            for stream in (output, errors):
                stream.seek(0)
                texts.append(stream.read().decode("utf-8", "replace"))
            return completed.returncode, texts[0], texts[1]

    def _failed(self, argv: Sequence[str], status: int) -> DeployError:
        command = " ".join([os.path.basename(argv[0]), *argv[1:]])
        return DeployError(f"{self.type}: '{command}' failed with exit status {status}")

    # State markers: $DYSNOMIA_STATEDIR/{activated,garbage}/<container>/<component>

    def _marker(self, kind: str) -> str:
        return os.path.join(default_state_dir(self.environment), kind, self.container_name, self.component_name)

    def mark_active(self) -> None:
        """Record the component as active in its container (moving a garbage marker back)."""
        active, garbage = self._marker("activated"), self._marker("garbage")
        os.makedirs(os.path.dirname(active), exist_ok=True)
        if os.path.isfile(garbage):
            os.replace(garbage, active)
        else:
            open(active, "a").close()

    def unmark_active(self) -> None:
        _remove(self._marker("activated"))

    def mark_garbage(self) -> None:
        """Record a deactivated component whose state ``collect-garbage`` removes later."""
        active, garbage = self._marker("activated"), self._marker("garbage")
        if os.path.exists(garbage):
            return
        os.makedirs(os.path.dirname(garbage), exist_ok=True)
        if os.path.exists(active):
            os.replace(active, garbage)
        else:
            open(garbage, "a").close()

    def is_garbage(self) -> bool:
        return os.path.isfile(self._marker("garbage"))

    def unmark_garbage(self) -> None:
        _remove(self._marker("garbage"))


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
