"""Report how often `nixproc parse` agrees with `nix-instantiate --parse` on a folder of .nix files.

Usage: python benchmarks/parse_corpus.py DIR [-v]

Each file is fed to both on standard input from its own folder (so relative
paths resolve alike); a file agrees when both print the same AST (let bindings
and formals compared sorted, see printer.show_sorted) or both reject it.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nixproc_disnix.compiler.oracle import nix_parse, our_parse, same_parse  # noqa: E402
from nixproc_disnix.deep import run_deep  # noqa: E402


def main() -> int:
    root = Path(sys.argv[1])
    verbose = "-v" in sys.argv
    files = sorted(root.resolve().rglob("*.nix"))
    agree, disagree = 0, []
    for path in files:
        data = path.read_bytes()
        cwd = str(path.parent)
        theirs = nix_parse(data, cwd)
        ours = run_deep(lambda: our_parse(data, cwd))
        if run_deep(lambda: same_parse(ours, theirs, cwd)):
            agree += 1
        else:
            disagree.append(path)
            if verbose:
                print(f"DIFF {path}\n  nix:  {theirs.text[:300]}\n  ours: {ours.text[:300]}")
    print(f"{agree} of {len(files)} files agree ({len(disagree)} differ)")
    for path in disagree:
        print(f"  differs: {path}")
    return 0 if not disagree else 1


if __name__ == "__main__":
    sys.exit(main())
