"""Evaluation speed: ``nixproc eval`` against ``nix-instantiate --eval``, as whole processes.

Usage: python benchmarks/eval_speed.py [--repeat N]

Each case runs the same expression through ``python -m nixproc_disnix.cli
eval --strict --json -E`` and ``nix-instantiate --eval --strict --json -E``,
process start included (that is what a user waits for), and prints

    name: ours X s, baseline Y s, ratio Z

with the best of N runs (default 3).  Both outputs must be equal, so a
fast wrong answer cannot pass.  No nixpkgs is assumed: both evaluators get
``-I nixpkgs=`` our own lib's parent, so ``lib.foldl'`` is the same code on
both sides.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CASES = {
    "attrset-100k": "builtins.length (builtins.attrNames (builtins.listToAttrs "
                    "(builtins.genList (i: { name = \"a${toString i}\"; value = i; }) 100000)))",
    "fib-25": "let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in fib 25",
    "interpolation-10k": "builtins.stringLength (builtins.concatStringsSep \"\" "
                         "(builtins.genList (i: \"x${toString i}-${toString (i * 2)}y\") 10000))",
    "foldl-100k": "builtins.foldl' (a: b: a + b) 0 (builtins.genList (i: i) 100000)",
    "lib-foldl-100k": "(import <nixpkgs/lib>).foldl' (a: b: a + b) 0 (builtins.genList (i: i) 100000)",
    "import-500": None,  # written into a temporary directory at run time
    "startup": "1",
}


def _import_case(workdir: Path) -> str:
    """500 small files, each importing nothing but computing a little; the root sums them."""
    for i in range(500):
        (workdir / f"f{i}.nix").write_text(f"{{ n = {i}; s = \"file-{i}\"; f = x: x + {i}; }}\n")
    return f"builtins.foldl' (a: i: a + (import ({workdir}/f${{toString i}}.nix)).f 1) 0 (builtins.genList (i: i) 500)"


def _time(argv: list[str], repeat: int) -> tuple[float, bytes]:
    best = float("inf")
    out = b""
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, env={**os.environ, "NIX_PATH": ""})
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"{argv[0]} failed: {proc.stderr.decode(errors='replace')}")
        best = min(best, elapsed)
        out = proc.stdout
    return best, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    search = ["-I", f"nixpkgs={ROOT / 'nixproc_disnix' / 'compiler'}"]
    ours_cmd = [sys.executable, "-m", "nixproc_disnix.cli", "eval", "--strict", "--json", *search, "-E"]
    nix_cmd = ["nix-instantiate", "--eval", "--strict", "--json", "--readonly-mode", *search, "-E"]
    with tempfile.TemporaryDirectory(prefix="eval-speed-") as tmp:
        for name, expr in CASES.items():
            if expr is None:
                expr = _import_case(Path(tmp))
            ours, our_out = _time(ours_cmd + [expr], args.repeat)
            base, nix_out = _time(nix_cmd + [expr], args.repeat)
            note = "" if our_out.strip() == nix_out.strip() else f"  OUTPUT DIFFERS: {our_out!r} vs {nix_out!r}"
            print(f"{name}: ours {ours:.3f} s, baseline {base:.3f} s, ratio {ours / base:.1f}{note}", flush=True)
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)  # so `python -m nixproc_disnix.cli` finds this checkout
    sys.exit(main())
