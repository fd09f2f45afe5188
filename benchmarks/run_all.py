"""Run every benchmark script and print one table of their ratios against their baselines.

Usage: python benchmarks/run_all.py [--full] [NAME ...]

Each ``benchmarks/*.py`` (or only the NAMEs given, e.g. ``build``) runs as
its own process from the repository root, with the small sizes of
:data:`SMALL_ARGUMENTS` unless ``--full`` asks for the scripts' own
defaults; a script that needs a corpus is skipped when the corpus is not
there. Every ``name: ours X s, baseline Y s, ratio Z`` line becomes a row
of the table (a line with ``ours`` alone, a row without baseline); other
lines a script prints (pass counts, agreement) are listed under the table.
The baselines are the scripts' own: real Nix for parsing and evaluation,
cold builds for no-op rebuilds, evaluating a model for generate-config.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parent / "shared" / "corpus"

SMALL_ARGUMENTS: dict[str, list[str]] = {
    "build": ["--count", "50"],
    "eval_speed": ["--repeat", "1"],
    "generate_config": ["--count", "100"],
    "image": ["--manager", "sysvinit"],
    "lang_conformance": [str(CORPUS / "nix-lang-2.8.0")],
    "parse_corpus": [str(ROOT / "examples")],
    "parse_speed": [str(ROOT / "examples")],
    "switch": ["--count", "20", "--repeat", "1"],
}
"""Arguments of the scripts that take any, for a quick run; a path among them must exist."""

FULL_ARGUMENTS: dict[str, list[str]] = {
    "lang_conformance": [str(CORPUS / "nix-lang-2.8.0")],
    "parse_corpus": [str(CORPUS / "nix-processmgmt")],
}
"""With ``--full``: the scripts' defaults, except the corpus folders they cannot do without."""

TIMEOUT = 3600.0

_FIGURE = re.compile(
    r"^(?P<case>.+?): ours (?P<ours>\d+(?:\.\d+)?) s"
    r"(?:, baseline (?P<baseline>\d+(?:\.\d+)?) s, ratio (?P<ratio>\d+(?:\.\d+)?))?(?P<rest>.*)$"
)


@dataclass(frozen=True)
class Figure:
    """One measured case: our time, and the baseline's with the ratio when the script has one."""

    benchmark: str
    case: str
    ours: float
    baseline: float | None = None
    ratio: float | None = None
    note: str = ""


@dataclass
class Outcome:
    """What one script gave: its figures, its other lines, and why it did not run or failed, if so."""

    benchmark: str
    figures: list[Figure] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    problem: str | None = None
    seconds: float = 0.0


def parse_output(benchmark: str, text: str) -> tuple[list[Figure], list[str]]:
    """The figures of a script's standard output, and its other non-empty lines."""
    figures: list[Figure] = []
    other: list[str] = []
    for line in text.splitlines():
        match = _FIGURE.match(line.strip())
        if match is None:
            if line.strip():
                other.append(line.strip())
            continue
        baseline, ratio = match.group("baseline"), match.group("ratio")
        figures.append(Figure(
            benchmark, match.group("case"), float(match.group("ours")),
            None if baseline is None else float(baseline), None if ratio is None else float(ratio),
            match.group("rest").strip(" ,"),
        ))
    return figures, other


def scripts(names: list[str]) -> list[Path]:
    """The benchmark scripts to run: all of them but this one, or those named."""
    found = sorted(path for path in HERE.glob("*.py") if path.name != Path(__file__).name)
    if not names:
        return found
    unknown = set(names) - {path.stem for path in found}
    if unknown:
        raise SystemExit(f"no benchmark named {', '.join(sorted(unknown))} in {HERE}")
    return [path for path in found if path.stem in names]


def arguments(script: Path, full: bool) -> list[str]:
    return FULL_ARGUMENTS.get(script.stem, []) if full else SMALL_ARGUMENTS.get(script.stem, [])


def run(script: Path, full: bool) -> Outcome:
    """Run one script from the repository root; a missing corpus skips it, a failure is noted."""
    outcome = Outcome(script.stem)
    argv = arguments(script, full)
    missing = [argument for argument in argv if argument.startswith("/") and not os.path.exists(argument)]
    if missing:
        outcome.problem = f"skipped: {missing[0]} does not exist"
        return outcome
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, str(script), *argv], cwd=ROOT, env=environment, capture_output=True,
                              text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        outcome.problem = f"timed out after {TIMEOUT:.0f} s"
        return outcome
    outcome.seconds = time.perf_counter() - start
    outcome.figures, outcome.other = parse_output(script.stem, done.stdout)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        outcome.problem = f"failed (exit status {done.returncode}): {last}"
    return outcome


def _number(value: float | None, unit: str = "") -> str:
    return "" if value is None else f"{value:g}{unit}"


def render_table(outcomes: list[Outcome]) -> str:
    """One Markdown table of every figure, then each script's other lines and problems."""
    lines = ["| benchmark | case | ours | baseline | ratio | note |", "|---|---|---|---|---|---|"]
    for outcome in outcomes:
        for figure in outcome.figures:
            lines.append(f"| {figure.benchmark} | {figure.case} | {_number(figure.ours, ' s')} | "
                         f"{_number(figure.baseline, ' s')} | {_number(figure.ratio)} | {figure.note} |")
    extra = [(outcome.benchmark, line) for outcome in outcomes for line in outcome.other]
    extra += [(outcome.benchmark, outcome.problem) for outcome in outcomes if outcome.problem]
    if extra:
        lines += ["", *[f"- {benchmark}: {line}" for benchmark, line in extra]]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the scripts' own (large) sizes")
    parser.add_argument("names", nargs="*", help="only these benchmarks (file names without .py)")
    args = parser.parse_args()
    outcomes = []
    for script in scripts(args.names):
        print(f"running {script.name} {' '.join(arguments(script, args.full))}".rstrip(), file=sys.stderr, flush=True)
        outcome = run(script, args.full)
        print(f"  {outcome.problem or f'done in {outcome.seconds:.1f} s'}", file=sys.stderr, flush=True)
        outcomes.append(outcome)
    sys.stdout.write(render_table(outcomes))
    return 1 if any(outcome.problem and not outcome.problem.startswith("skipped") for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
