"""Parser throughput: our parser alone (MB/s), and against `nix-instantiate --parse`.

Usage: python benchmarks/parse_speed.py [DIR ...]   (default: examples/ and ../shared/corpus if present)

Prints one line per case, `name: ours X s, baseline Y s, ratio Z`, plus MB/s.
The baseline runs one nix-instantiate per file (that is how it is used), so
the ratio includes process start-up on its side; ours is measured in-process
and, separately, as one `nixproc parse` process per file for a like-for-like figure.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nixproc_disnix.compiler.lexer import Source  # noqa: E402
from nixproc_disnix.compiler.parser import _parser, parse  # noqa: E402
from nixproc_disnix.errors import ParseError  # noqa: E402


def corpus(dirs: list[Path]) -> list[Path]:
    files = []
    for d in dirs:
        files += [p for p in sorted(d.rglob("*.nix")) if "fail" not in p.name]
    return files


def main() -> None:
    dirs = [Path(a) for a in sys.argv[1:]] or [p for p in (ROOT / "examples", ROOT.parent / "shared" / "corpus") if p.exists()]
    files = corpus(dirs)
    sources = [Source(p.read_bytes().decode("latin-1"), str(p), str(p.parent)) for p in files]
    size = sum(len(s.text) for s in sources)
    _parser()  # grammar construction is start-up, not throughput
    rounds = max(1, int(5e6 // max(size, 1)))
    start = time.perf_counter()
    for _ in range(rounds):
        for s in sources:
            try:
                parse(s)
            except ParseError:
                pass
    ours = (time.perf_counter() - start) / rounds
    print(f"corpus: {len(files)} files, {size / 1e6:.3f} MB")
    print(f"in-process parse: ours {ours:.3f} s, {size / ours / 1e6:.2f} MB/s")

    start = time.perf_counter()
    for p in files:
        subprocess.run(["nix-instantiate", "--parse", str(p)], capture_output=True, check=False)
    nix = time.perf_counter() - start
    print(f"parse vs nix-instantiate per file: ours {ours:.3f} s, baseline {nix:.3f} s, ratio {ours / nix:.2f}")

    sample = files[: min(len(files), 40)]
    start = time.perf_counter()
    for p in sample:
        subprocess.run([sys.executable, "-m", "nixproc_disnix.cli", "parse", str(p)], capture_output=True, check=False, cwd=ROOT)
    ours_cli = time.perf_counter() - start
    start = time.perf_counter()
    for p in sample:
        subprocess.run(["nix-instantiate", "--parse", str(p)], capture_output=True, check=False)
    nix_cli = time.perf_counter() - start
    print(f"process per file ({len(sample)} files): ours {ours_cli:.3f} s, baseline {nix_cli:.3f} s, ratio {ours_cli / nix_cli:.2f}")


if __name__ == "__main__":
    main()
