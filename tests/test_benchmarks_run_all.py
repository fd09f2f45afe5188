"""benchmarks/run_all.py: its parser and table on canned output (nothing is timed here)."""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_run_all() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks_run_all", BENCHMARKS / "run_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


run_all = load_run_all()

CANNED = """\
corpus: 36 files, 0.036 MB
in-process parse: ours 0.020 s, 1.78 MB/s
writeTextFile-50 no-op vs cold: ours 0.091 s, baseline 4.984 s, ratio 0.018
fib-25: ours 1.744 s, baseline 0.057 s, ratio 30.8  OUTPUT DIFFERS: b'1' vs b'2'
global-100k-first: ours 0.337 s, peak 19.6 MiB
eval-okay: 100 of 100 pass
"""


def test_figures_and_other_lines_of_a_scripts_output() -> None:
    figures, other = run_all.parse_output("mixed", CANNED)
    assert figures == [
        run_all.Figure("mixed", "in-process parse", 0.02, None, None, "1.78 MB/s"),
        run_all.Figure("mixed", "writeTextFile-50 no-op vs cold", 0.091, 4.984, 0.018, ""),
        run_all.Figure("mixed", "fib-25", 1.744, 0.057, 30.8, "OUTPUT DIFFERS: b'1' vs b'2'"),
        run_all.Figure("mixed", "global-100k-first", 0.337, None, None, "peak 19.6 MiB"),
    ]
    assert other == ["corpus: 36 files, 0.036 MB", "eval-okay: 100 of 100 pass"]


def test_one_table_then_the_other_lines_and_problems() -> None:
    figures, other = run_all.parse_output("build", CANNED)
    table = run_all.render_table([
        run_all.Outcome("build", figures[1:2], other[1:]),
        run_all.Outcome("lang_conformance", problem="skipped: /x does not exist"),
    ])
    assert table.splitlines() == [
        "| benchmark | case | ours | baseline | ratio | note |",
        "|---|---|---|---|---|---|",
        "| build | writeTextFile-50 no-op vs cold | 0.091 s | 4.984 s | 0.018 |  |",
        "",
        "- build: eval-okay: 100 of 100 pass",
        "- lang_conformance: skipped: /x does not exist",
    ]


def test_every_script_taking_arguments_has_small_ones() -> None:
    for script in run_all.scripts([]):
        takes_arguments = re.search(r"add_argument|sys\.argv\[", script.read_text())
        assert not takes_arguments or script.stem in run_all.SMALL_ARGUMENTS, (
            f"{script.name} takes arguments: give it small ones in run_all.SMALL_ARGUMENTS"
        )
