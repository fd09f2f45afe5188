"""Recording stand-ins for the command-line tools of process managers that cannot run here.

A stand-in is an executable put first on ``PATH`` under the tool's name
(``docker``, ``s6-rc``, ...). Each call appends its argv as one JSON line to
``calls.jsonl`` and then, holding an exclusive lock, hands its arguments and
the JSON state of ``state.json`` to ``main(command, args, state)`` of a
module in this directory, which checks the arguments as the real tool
would, prints what it prints, changes the state (a fake engine's
containers, a fake s6-rc's services) and returns the exit status. Tests read
the calls and the state, and put failures to inject into the state.
"""
from __future__ import annotations

import fcntl
import importlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

_WRAPPER = """#!{python}
import sys
sys.path.insert(0, {here!r})
from recording_stand_in import run_stand_in
sys.exit(run_stand_in({directory!r}, {module!r}, {command!r}, sys.argv[1:]))
"""


class StandIns:
    """A directory of stand-ins (``bin/``), their call log and their shared state."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.bin = directory / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)

    def install(self, command: str, module: str) -> None:
        """Put ``command`` in ``bin/``, played by ``<module>.main``."""
        path = self.bin / command
        path.write_text(_WRAPPER.format(python=sys.executable, here=str(HERE), directory=str(self.directory),
                                        module=module, command=command))
        path.chmod(0o755)

    @classmethod
    def on_path(cls, tmp_path: Path, monkeypatch: Any, module: str, *commands: str) -> StandIns:
        """Stand-ins of ``commands``, each played by ``module``, first on ``PATH`` for the rest of the test
        (``monkeypatch``: pytest's, which restores ``PATH`` afterwards)."""
        stand_ins = cls(tmp_path / "stand-ins")
        for command in commands:
            stand_ins.install(command, module)
        monkeypatch.setenv("PATH", f"{stand_ins.bin}:{os.environ['PATH']}")
        return stand_ins

    def calls(self, *commands: str) -> list[list[str]]:
        """Every recorded argv (the command's name first), in order; only ``commands``' when given."""
        log = self.directory / "calls.jsonl"
        recorded = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        return [argv for argv in recorded if not commands or argv[0] in commands]

    def forget_calls(self) -> None:
        (self.directory / "calls.jsonl").unlink(missing_ok=True)

    @contextmanager
    def state(self) -> Iterator[dict[str, Any]]:
        """The state, to read or change (kept when the block ends)."""
        with _locked_state(self.directory) as state:
            yield state


@contextmanager
def _locked_state(directory: Path) -> Iterator[dict[str, Any]]:
    with open(directory / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = directory / "state.json"
        state = json.loads(path.read_text()) if path.exists() else {}
        yield state
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, indent=1, sort_keys=True))
        os.replace(temporary, path)


def run_stand_in(directory: str, module: str, command: str, args: list[str]) -> int:
    """What a stand-in executable does: record the call, then play the tool under the lock."""
    with _locked_state(Path(directory)) as state:
        with open(Path(directory) / "calls.jsonl", "a") as log:
            log.write(json.dumps([command, *args]) + "\n")
        code: int = importlib.import_module(module).main(command, args, state)
    return code
