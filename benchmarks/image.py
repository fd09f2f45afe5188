"""Image builds: examples/webapps-agnostic as a multi-process image per process manager, cold and rebuilt unchanged.

Usage: PYTHONPATH=. python benchmarks/image.py [--manager PM ...] [--pkgs host|nix|stub]

For each manager the model is built into an image as ``nixproc-build-image
--process-manager PM examples/webapps-agnostic/processes.nix`` does: first
into an empty store (evaluation, the webapps, the profile, the host
closure, the layers and the archive), then again with a fresh evaluator on
the same store, which must find every path valid and give the same archive.
Prints, per manager,

    webapps-PM image no-op vs cold: ours X s, baseline Y s, ratio Z (size S MiB, L layers, C s CPU cold)

where ours is the no-op rebuild and baseline the cold build. A manager
whose programs this machine lacks (with ``--pkgs host``, e.g. s6-rc's on
Debian 12) is reported as skipped, naming what is missing.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from nixproc_disnix.deploy.image import ModelImage, build_image
from nixproc_disnix.errors import NixprocError
from nixproc_disnix.image.archive import read_archive
from nixproc_disnix.pkgs import DEFAULT_RESOLVER, RESOLVERS
from nixproc_disnix.store.store import Store

MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "webapps-agnostic", "processes.nix")
MANAGERS = ("supervisord", "sysvinit", "s6-rc", "disnix")


def timed_build(root: str, manager: str, pkgs: str) -> tuple[float, float, str]:
    """Build the image into the store at ``root``; (wall seconds, CPU seconds, archive path)."""
    wall, cpu = time.perf_counter(), time.process_time()
    with Store(root) as store:
        archive = build_image(store, ModelImage(MODEL, manager, name="webapps", tag=manager).request(pkgs))
    return time.perf_counter() - wall, time.process_time() - cpu, archive


def measure(manager: str, pkgs: str) -> str:
    """One manager's line."""
    with tempfile.TemporaryDirectory(prefix="image-bench-") as tmp:
        root = os.path.join(tmp, "root")
        try:
            cold, cold_cpu, archive = timed_build(root, manager, pkgs)
        except NixprocError as error:
            missing = error.one_line().removeprefix("error: ").split(" in PATH=")[0]
            return f"webapps-{manager} image: skipped ({missing})"
        noop, _, again = timed_build(root, manager, pkgs)
        if again != archive:
            raise SystemExit(f"the no-op rebuild of the {manager} image gave {again}, not {archive}")
        size = os.path.getsize(archive) / 2**20
        layers = len(read_archive(archive).layers)
        return (f"webapps-{manager} image no-op vs cold: ours {noop:.3f} s, baseline {cold:.3f} s, "
                f"ratio {noop / cold:.3f} (size {size:.1f} MiB, {layers} layers, {cold_cpu:.1f} s CPU cold)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manager", action="append", choices=MANAGERS, help="Only these managers (repeatable).")
    parser.add_argument("--pkgs", choices=RESOLVERS, default=DEFAULT_RESOLVER)
    args = parser.parse_args()
    for manager in args.manager or MANAGERS:
        print(measure(manager, args.pkgs), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
