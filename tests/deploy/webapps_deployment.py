"""The webapps test model (``tests/fixtures/webapps``) deployed with a switch, for the per-manager switch tests.

Each :class:`WebappsDeployment` is a copy of the model whose ``ids.nix``
gives both webapps free ports, with its own state directory and profile;
the store is shared by a test module, so packages are built once.
Processes the tests start carry a marker in their environment
(:func:`kill_marked` kills them by PID).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import urllib.request
from pathlib import Path

from click.testing import CliRunner, Result

from nixproc_disnix.cli.switch import COMMANDS
from nixproc_disnix.deploy.build import BuildRequest, build_profile
from nixproc_disnix.deploy.plan import SwitchPlan
from nixproc_disnix.deploy.switch import SwitchOptions, switch
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store import profiles
from nixproc_disnix.store.store import open_store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "webapps"
MARKER_VARIABLE = "NIXPROC_TEST_MARKER"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def start_time(pid: int) -> int:
    """When ``pid`` started, in clock ticks since boot."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])


def marked_pids(marker: str) -> list[int]:
    needle = f"{MARKER_VARIABLE}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in entry.joinpath("environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def kill_marked(marker: str) -> None:
    """SIGKILL every process whose environment carries ``marker``."""
    for pid in marked_pids(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class WebappsDeployment:
    """A copy of the webapps model with its own ports, state directory and profile, deployed with one manager."""

    def __init__(self, root: Path, store_dir: Path, process_manager: str) -> None:
        self.root = root
        self.store_dir = store_dir
        self.process_manager = process_manager
        shutil.copytree(FIXTURE, root / "webapps", ignore=shutil.ignore_patterns("__pycache__", "ids.nix"))
        self.model = root / "webapps" / "processes.nix"
        self.state = root / "state"
        self.profile = root / "profiles" / "processes"
        self.ports = {"webapp1": free_port(), "webapp2": free_port()}
        self.write_ids()
        self.lines: list[str] = []

    def write_ids(self) -> None:
        (self.model.parent / "ids.nix").write_text(
            "{ ids = { webappPorts = { webapp1 = %d; webapp2 = %d; }; }; }\n"
            % (self.ports["webapp1"], self.ports["webapp2"])
        )

    def add_to_webapps(self, attribute: str) -> None:
        """Add ``attribute`` (``<path> = <value>;``) to the createManagedProcess parameters of every webapp."""
        anchor = "overrides.sysvinit.runlevels"
        self.model.write_text(self.model.read_text().replace(anchor, f"{attribute}\n    {anchor}"))

    def move(self, name: str) -> int:
        """Give instance ``name`` a new free port (so its output changes); the port."""
        self.ports[name] = free_port()
        self.write_ids()
        return self.ports[name]

    def state_dirs(self) -> StateDirs:
        return StateDirs(state_dir=str(self.state), force_disable_user_change=True)

    def request(self, undeploy: bool = False) -> BuildRequest:
        return BuildRequest(self.process_manager, None if undeploy else str(self.model), self.state_dirs())

    def build(self) -> str:
        """The profile :meth:`switch` deploys, built ahead."""
        with open_store(str(self.store_dir)) as store:
            return build_profile(store, self.request())

    def switch(self, undeploy: bool = False) -> SwitchPlan:
        """Build the model (nothing with ``undeploy``) and deploy it."""
        options = SwitchOptions(self.process_manager, str(self.profile), state_dirs=self.state_dirs())
        with open_store(str(self.store_dir)) as store:
            return switch(store, options, self.request(undeploy), self.lines.append)

    def cli(self, *args: str) -> Result:
        """``nixproc-<pm>-switch`` with this deployment's store, state directory and profile directory."""
        common = ["--store-dir", str(self.store_dir), "--state-dir", str(self.state), "--force-disable-user-change"]
        return CliRunner().invoke(COMMANDS[self.process_manager].switch, [*common, *args],
                                  env={"NIX_USER_PROFILE_DIR": str(self.profile.parent)})

    def answer(self, name: str, port: int | None = None) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port or self.ports[name]}/", timeout=5) as response:
            return response.read().decode()

    def generations(self) -> list[tuple[int, bool]]:
        return [(generation.number, generation.current) for generation in profiles.list_generations(str(self.profile))]
