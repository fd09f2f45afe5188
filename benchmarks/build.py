"""Build speed: a model of 200 ``writeTextFile``s built cold, then rebuilt unchanged.

Usage: PYTHONPATH=. python benchmarks/build.py [--count N]

Both runs evaluate the model with a fresh evaluator attached to one
temporary store and build every derivation, as ``nixproc-build`` does. The
cold run writes the ``.drv`` files and runs one builder per file; the no-op
run must find everything valid, so its cost is evaluation plus database
reads. Prints

    name: ours X s, baseline Y s, ratio Z

where ours is the no-op rebuild and baseline the cold build (goal: ratio
under 0.05), and the same for the build step alone.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.store.builder import build
from nixproc_disnix.store.store import Store

BUILD_SUPPORT = os.path.join(os.path.dirname(__file__), "..", "nixproc_disnix", "pkgs", "build-support")

MODEL = """
let
  pkgs = import {build_support} {{ lib = import <nixpkgs/lib>; system = builtins.currentSystem; }};
in
builtins.genList (i: pkgs.writeTextFile {{
  name = "file-${{toString i}}";
  text = "contents of file ${{toString i}}\\n";
  destination = "/etc/file-${{toString i}}.conf";
}}) {count}
"""


def evaluate_and_build(root: str, count: int) -> tuple[float, float, list[str]]:
    """Evaluate the model into the store and build it; (evaluation seconds, build seconds, outputs)."""
    with Store(root) as store:
        start = time.perf_counter()
        evaluator = Evaluator(store=store)
        model = evaluator.eval_string(MODEL.format(build_support=os.path.abspath(BUILD_SUPPORT), count=count))
        drv_paths = [str(evaluator.force(evaluator.force(item)["drvPath"])) for item in model]
        evaluated = time.perf_counter()
        outputs = [build(store, drv_path)["out"] for drv_path in drv_paths]
        return evaluated - start, time.perf_counter() - evaluated, outputs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="build-bench-") as tmp:
        root = os.path.join(tmp, "root")
        cold_eval, cold_build, cold_outputs = evaluate_and_build(root, args.count)
        noop_eval, noop_build, noop_outputs = evaluate_and_build(root, args.count)
        if noop_outputs != cold_outputs:
            raise SystemExit("the no-op rebuild produced other outputs than the cold build")
        cold, noop = cold_eval + cold_build, noop_eval + noop_build
        name = f"writeTextFile-{args.count}"
        print(f"{name} no-op vs cold: ours {noop:.3f} s, baseline {cold:.3f} s, ratio {noop / cold:.3f}")
        print(f"{name} build step only: ours {noop_build:.3f} s, baseline {cold_build:.3f} s, "
              f"ratio {noop_build / cold_build:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
