"""Run a Nix `tests/lang` folder through our evaluator and print pass counts.

Usage: python benchmarks/lang_conformance.py DIR/lang [-v]

As Nix's own test driver does: eval-okay-* are evaluated from the folder
above lang/ with NIX_PATH=lang/dir3:lang/dir4 and TEST_VAR=foo (plus the
case's .flags) and compared with .exp (--eval --strict) and .exp.xml
(--eval --strict --xml --no-location); eval-fail-* must fail; parse-okay-*
must parse and parse-fail-* must not.
"""
from __future__ import annotations

import os
import shlex
import tempfile
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nixproc_disnix.compiler.eval.instantiate import EvalRequest, evaluate  # noqa: E402
from nixproc_disnix.compiler.lexer import Source  # noqa: E402
from nixproc_disnix.compiler.parser import parse  # noqa: E402
from nixproc_disnix.deep import run_deep  # noqa: E402
from nixproc_disnix.errors import NixprocError  # noqa: E402


def request_for(case: Path, output: str) -> EvalRequest:
    request = EvalRequest(file=f"{case.parent.name}/{case.name}", strict=True, output=output, location=False)
    flags = case.with_suffix(".flags")
    if flags.exists():
        words = shlex.split(flags.read_text())
        i = 0
        while i < len(words):
            if words[i] == "-I":
                request.include.append(words[i + 1])
                i += 2
            elif words[i] == "-A":
                request.attr_paths.append(words[i + 1])
                i += 2
            elif words[i] in ("--arg", "--argstr"):
                (request.args if words[i] == "--arg" else request.argstrs)[words[i + 1]] = words[i + 2]
                i += 3
            else:
                i += 1
    return request


def run_case(case: Path) -> tuple[str, bool, str]:
    name = case.name
    if name.startswith("parse-"):
        try:
            parse(Source(case.read_bytes().decode("latin-1"), "«stdin»", str(case.parent)))
            ok = True
        except NixprocError:
            ok = False
        return "parse-okay" if name.startswith("parse-okay") else "parse-fail", ok == name.startswith("parse-okay"), ""
    if name.startswith("eval-fail"):
        try:
            evaluate(request_for(case, "nix"))
        except NixprocError:
            return "eval-fail", True, ""
        except RecursionError:
            return "eval-fail", True, ""
        return "eval-fail", False, "evaluated without error"
    expected = case.with_suffix(".exp")
    expected_xml = case.with_suffix(".exp.xml")
    try:
        if expected.exists():
            got = evaluate(request_for(case, "nix"))
            want = expected.read_bytes().decode("latin-1")
            if got != want:
                return "eval-okay", False, f"got {got[:200]!r} want {want[:200]!r}"
        if expected_xml.exists():
            got = evaluate(request_for(case, "xml"))
            want = expected_xml.read_bytes().decode("latin-1")
            if got.rstrip("\n") != want.rstrip("\n"):
                return "eval-okay", False, "xml differs"
    except NixprocError as err:
        return "eval-okay", False, err.one_line()
    except Exception as err:  # a crash is a failure of ours, reported not raised
        return "eval-okay", False, f"CRASH {type(err).__name__}: {err}"
    return "eval-okay", True, ""


def main() -> int:
    corpus = Path(sys.argv[1]).resolve()
    verbose = "-v" in sys.argv
    # The cases refer to themselves as lang/...: run from a folder where that name fits.
    workdir = Path(tempfile.mkdtemp(prefix="nix-lang-"))
    (workdir / "lang").symlink_to(corpus)
    lang = workdir / "lang"
    os.chdir(workdir)
    os.environ["NIX_PATH"] = "lang/dir3:lang/dir4"
    os.environ["TEST_VAR"] = "foo"
    totals: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    for case in sorted(lang.glob("*.nix")):
        case = lang / case.name
        if not case.name.startswith(("eval-okay", "eval-fail", "parse-okay", "parse-fail")):
            continue
        kind, ok, why = run_deep(lambda: run_case(case))
        totals[kind] += 1
        passed[kind] += ok
        if not ok and verbose:
            print(f"FAIL {case.name}: {why}")
    for kind in ("parse-okay", "parse-fail", "eval-okay", "eval-fail"):
        print(f"{kind}: {passed[kind]} of {totals[kind]} pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
