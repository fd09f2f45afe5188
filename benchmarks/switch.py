"""Switch speed: a generated 100-process model deployed, switched unchanged, and switched with one process changed.

Usage: PYTHONPATH=. python benchmarks/switch.py [--count N] [--process-manager PM ...]

The model (written to a temporary directory) is ``--count`` foreground
``sleep infinity`` processes: a dependency chain ``p0 <- p1 <- ... <- p9``
and every other process depending on one link of it (``p<i>`` on
``p<i mod 10>``), so the start levels are about ten wide. For each process
manager (sysvinit and supervisord by default; one that cannot deploy here
is skipped with a note) it prints

    <pm> first deploy: ours X s, baseline Y s, ratio Z
        the built profile deployed with the default ``--max-concurrent``
        (the CPU count) against ``--max-concurrent 1`` (the build is done
        ahead, so both time only stopping and starting);
    <pm> no-op switch (N stopped or started): ours X s, baseline 0.500 s, ratio Z
        the model switched again as it is, evaluation and build included,
        in this process; the baseline is the goal (0.5 s, no restart);
    <pm> no-op switch, whole command: ours X s, baseline 0.500 s, ratio Z
        the same with ``nixproc-<pm>-switch`` in a new interpreter;
    <pm> one-process change (N stopped or started): ours X s, baseline Y s, ratio Z
        one process's environment changed, against the first deploy.

Each line ends with the CPU seconds of ours (this process and the
commands it waited for; daemons are not counted), which a busy machine
inflates far less than the wall clock. Times are the best of
``--repeat`` runs. supervisord's switch deploys into
the supervisord of a configuration directory of the benchmark's own,
started before the first figure (its programs say ``startsecs = 0``: the
figures are the switch's, not supervisord's second of watching each new
program). Every process started
carries a marker in its environment; all are undeployed and then killed by
PID.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from nixproc_disnix.backends.common.switcher import SwitchContext
from nixproc_disnix.backends.supervisord.switch import switcher as supervisord_switcher
from nixproc_disnix.deploy.build import BuildRequest, build_profile
from nixproc_disnix.deploy.plan import SwitchPlan
from nixproc_disnix.deploy.switch import SwitchOptions, deploy_path, switch
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store.store import Store, open_store

GOAL = 0.5
"""Seconds a no-op switch may take."""
CHAIN = 10
MARKER_VARIABLE = "NIXPROC_BENCHMARK_MARKER"
T = TypeVar("T")

MODEL = """\
{ pkgs, stateDir, runtimeDir ? "${stateDir}/run", logDir ? "${stateDir}/log", tmpDir ? "${stateDir}/tmp",
  forceDisableUserChange ? true, processManager, changed ? -1 }:
let
  createManagedProcess = import <nix-processmgmt/nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    inherit pkgs runtimeDir logDir tmpDir stateDir forceDisableUserChange processManager;
  };
  name = i: "p${toString i}";
  link = i: if i < CHAIN then i - 1 else i - (i / CHAIN) * CHAIN;
  processes = builtins.listToAttrs (builtins.genList (i: {
    name = name i;
    value.pkg = createManagedProcess {
      instanceName = name i;
      dependencies = if i == 0 then [] else [ processes.${name (link i)}.pkg ];
      foregroundProcess = "${pkgs.coreutils}/bin/sleep";
      foregroundProcessArgs = [ "infinity" ];
      environment.GENERATION = if i == changed then "2" else "1";
      overrides.sysvinit.runlevels = [ 3 ];
      overrides.supervisord.startsecs = 0;
    };
  }) COUNT);
in processes
"""


class Bench:
    """One process manager's deployment of the generated model: its store, state directory and profile."""

    def __init__(self, root: Path, process_manager: str, model: Path) -> None:
        self.root = root
        self.process_manager = process_manager
        self.model = model
        self.state_dirs = StateDirs(state_dir=str(root / "state"), force_disable_user_change=True)
        self.profile = root / "profiles" / "processes"

    def store(self) -> Store:
        return open_store(str(self.root / "store"))

    def options(self, max_concurrent: int | None = None) -> SwitchOptions:
        options = SwitchOptions(self.process_manager, str(self.profile), state_dirs=self.state_dirs, runlevel="3")
        return options if max_concurrent is None else replace(options, max_concurrent=max_concurrent)

    def request(self, changed: int | None = None, undeploy: bool = False) -> BuildRequest:
        extra = None if changed is None else f"{{ changed = {changed}; }}"
        return BuildRequest(self.process_manager, None if undeploy else str(self.model), self.state_dirs,
                            extra_params=extra)

    def build(self) -> str:
        with self.store() as store:
            return build_profile(store, self.request())

    def deploy(self, path: str, max_concurrent: int | None = None) -> SwitchPlan:
        with self.store() as store:
            return deploy_path(store, self.options(max_concurrent), path, _quiet)

    def switch(self, changed: int | None = None, undeploy: bool = False) -> SwitchPlan:
        with self.store() as store:
            return switch(store, self.options(), self.request(changed, undeploy), _quiet)

    def command(self) -> None:
        """``nixproc-<pm>-switch MODEL`` in a new interpreter."""
        script = Path(sys.executable).with_name(f"nixproc-{self.process_manager}-switch")
        runlevel = ["--runlevel", "3"] if self.process_manager == "sysvinit" else []
        subprocess.run(
            [str(script), "--store-dir", str(self.root / "store"), "--state-dir", str(self.root / "state"),
             "--force-disable-user-change", "--quiet", *runlevel, str(self.model)],
            env={**os.environ, "NIX_USER_PROFILE_DIR": str(self.profile.parent)}, check=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )


def _quiet(line: str) -> None:
    """Process output is not what is measured."""


@dataclass(frozen=True)
class Timing:
    """A run's wall-clock seconds, and the CPU seconds of this process and the children it waited for."""

    wall: float
    cpu: float


def cpu_seconds() -> float:
    return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


def timed(action: Callable[[], T]) -> tuple[Timing, T]:
    start, cpu = time.perf_counter(), cpu_seconds()
    result = action()
    return Timing(time.perf_counter() - start, cpu_seconds() - cpu), result


def best(repeat: int, action: Callable[[], T]) -> tuple[Timing, T]:
    """The fastest of ``repeat`` runs, and its result."""
    return min((timed(action) for _ in range(repeat)), key=lambda run: run[0].wall)


def restarts(plan: SwitchPlan) -> int:
    """How many processes the switch stopped or started."""
    return sum(map(len, plan.recover + plan.stop + plan.revive + plan.start))


def line(name: str, ours: Timing, baseline: float) -> None:
    """The figure, and the CPU time it took: on a busy machine the wall clock mostly measures the others."""
    print(f"{name}: ours {ours.wall:.3f} s, baseline {baseline:.3f} s, ratio {ours.wall / baseline:.3f} "
          f"(CPU {ours.cpu:.3f} s)", flush=True)


def measure(bench: Bench, count: int, repeat: int) -> None:
    pm = bench.process_manager
    built = bench.build()
    sequential, _ = timed(lambda: bench.deploy(built, max_concurrent=1))
    bench.switch(undeploy=True)
    parallel, _ = timed(lambda: bench.deploy(built))
    line(f"{pm} first deploy", parallel, sequential.wall)

    no_op, plan = best(repeat, bench.switch)
    line(f"{pm} no-op switch ({restarts(plan)} stopped or started)", no_op, GOAL)
    command, _ = best(repeat, bench.command)
    line(f"{pm} no-op switch, whole command", command, GOAL)

    changed, plan = timed(lambda: bench.switch(changed=count - 3))
    line(f"{pm} one-process change ({restarts(plan)} stopped or started)", changed, parallel.wall)


def undeploy(bench: Bench) -> None:
    """Stop what the benchmark deployed (whatever is left is killed by its marker)."""
    try:
        bench.switch(undeploy=True)
    except DeployError:
        pass


@contextmanager
def running_manager(process_manager: str) -> Iterator[None]:
    """For supervisord, the supervisord of a ``SUPERVISORD_CONF_DIR`` of our own, started by the switcher before
    the first figure; the other managers need nothing. (The supervisord carries the marker: it is killed with the
    processes.)"""
    if process_manager != "supervisord":
        yield
        return
    directory = tempfile.mkdtemp(prefix="nixproc-sv-")  # short: a unix socket's path has at most 107 bytes
    os.environ["SUPERVISORD_CONF_DIR"] = directory
    try:
        supervisord_switcher(SwitchContext(StateDirs(), lambda line: None)).ensure_running()
        yield
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def kill_marked(marker: str) -> None:
    """SIGKILL every process whose environment carries ``marker``."""
    needle = f"{MARKER_VARIABLE}={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)
        except OSError:  # gone meanwhile
            pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--process-manager", action="append", dest="managers")
    args = parser.parse_args()
    marker = uuid.uuid4().hex
    os.environ[MARKER_VARIABLE] = marker
    with tempfile.TemporaryDirectory(prefix="switch-bench-") as tmp:
        model = Path(tmp) / "processes.nix"
        model.write_text(MODEL.replace("CHAIN", str(CHAIN)).replace("COUNT", str(args.count)))
        for process_manager in args.managers or ["sysvinit", "supervisord"]:
            bench = Bench(Path(tmp) / process_manager, process_manager, model)
            try:
                with running_manager(process_manager):
                    try:
                        measure(bench, args.count, args.repeat)
                    finally:
                        undeploy(bench)
            except DeployError as error:
                print(f"{process_manager}: skipped: {error.message}", flush=True)
            finally:
                kill_marked(marker)
    return 0


if __name__ == "__main__":
    sys.exit(main())
