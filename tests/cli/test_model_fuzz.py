"""Fuzzing the commands' library entry points with mutated example models.

Each example takes one file of an example model (``examples/webapps-agnostic``,
``examples/services-agnostic``, the test model ``tests/fixtures/webapps``),
mutates it token by token (delete, duplicate or swap tokens, give a literal
another type, rename a name, insert a ``throw``, an ``assert false``,
infinite recursion or deep nesting) and runs what the commands run on it:
the parser, then one of the build of the deployment profile for a process
manager (``nixproc-build`` with ``--pkgs stub``, into a store of its own),
its evaluation only, ``nixproc convert`` or ``nixproc-id-assign``. Every
failure must be one of our errors (:class:`~nixproc_disnix.errors.NixprocError`),
which the commands print as one line; any other exception escaping is a
bug, shown with the mutated file. Nothing may hang: each example has
:data:`EXAMPLE_DEADLINE` seconds, and runs as the commands do, through
:func:`~nixproc_disnix.deep.run_deep`, with a smaller recursion limit
(:data:`RECURSION_LIMIT`) so infinite recursion is found in a fraction of a
second; it must come out as Nix's stack overflow error.

The bound: up to 10,000 examples, in rounds of :data:`ROUND` that each run
hypothesis from a fixed seed (the round's number), so a run is
reproducible; the run stops between rounds once a wall-clock budget is
spent, 60 s by default (``NIXPROC_FUZZ_SECONDS``), overshooting by at most
one round. On two busy cores the budget covers about a thousand examples,
most of them stopped by the parser and some hundreds evaluated or built; a
longer budget walks further along the same sequence. A round that finds a
failure shrinks it before reporting, whatever the budget.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from nixproc_disnix.compiler.lexer import Source
from nixproc_disnix.compiler.parser import parse
from nixproc_disnix.compiler.services import compile_services
from nixproc_disnix.deep import run_deep
from nixproc_disnix.deploy.build import BuildRequest, build_profile, profile_derivation
from nixproc_disnix.errors import NixprocError
from nixproc_disnix.idassign.models import ProcessesModel, assign_for_processes
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store.store import open_store

REPO = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 10_000
ROUND = 50
"""Examples per hypothesis run; the budget is looked at between rounds."""
FIRST_ROUND = int(os.environ.get("NIXPROC_FUZZ_FIRST_ROUND", "0"))
"""Where the sequence starts: CI starts at 0; a later start explores further, or replays a failed round."""
BUDGET_SECONDS = float(os.environ.get("NIXPROC_FUZZ_SECONDS", "60"))
EXAMPLE_DEADLINE = 120.0
"""Seconds one example may take before it counts as a hang (a loaded CI machine is slow, a hang is forever)."""
RECURSION_LIMIT = 20_000
"""Python frames an example may nest: the examples need under 2,000; infinite recursion reaches it in ~0.1 s."""


@dataclass(frozen=True)
class Target:
    """An example model and the files of it that get mutated (paths relative to the copied tree)."""

    model: str
    files: tuple[str, ...]


TARGETS = (
    Target("examples/webapps-agnostic/processes.nix", (
        "examples/webapps-agnostic/processes.nix",
        "examples/webapps-agnostic/constructors/constructors.nix",
        "examples/webapps-agnostic/constructors/webapp/default.nix",
        "examples/webapps-agnostic/constructors/webapp/common.nix",
        "examples/webapps-agnostic/ids.nix",
        "examples/webapps-agnostic/idresources.nix",
        "examples/services-agnostic/constructors/nginx/nginx-reverse-proxy-hostbased.nix",
    )),
    Target("examples/services-agnostic/processes.nix", (
        "examples/services-agnostic/processes.nix",
        "examples/services-agnostic/constructors/constructors.nix",
        "examples/services-agnostic/constructors/nginx/default.nix",
        "examples/services-agnostic/constructors/supervisord/default.nix",
        "examples/services-agnostic/constructors/s6-svscan/default.nix",
        "examples/services-agnostic/ids.nix",
    )),
    Target("tests/fixtures/webapps/processes.nix", ("tests/fixtures/webapps/processes.nix",)),
)
"""Not mutated: the webapp package (``webapps-agnostic/webapp``), whose build script runs as root here."""

OPERATIONS = (
    ("build", "sysvinit"), ("build", "supervisord"), ("build", "systemd"), ("build", "s6-rc"),
    ("build", "docker"), ("build", "disnix"),
    ("evaluate", "bsdrc"), ("evaluate", "launchd"), ("evaluate", "cygrunsrv"),
    ("convert", None), ("convert", "sysvinit"),
    ("id-assign", None),
)
"""What runs after the parser: the profile built (or only evaluated) for a manager, convert, id-assign."""

# Approximate Nix tokens: good enough to cut a file into pieces to shuffle.
_TOKEN = re.compile(r"""
    (?P<space>\s+|\#[^\n]*|/\*.*?\*/)
  | (?P<string>''(?:[^']|'(?!')|'''|''[$\\])*''|"(?:[^"\\]|\\.)*")
  | (?P<path><[A-Za-z0-9._+\-/]+>|[A-Za-z0-9._+\-~]*(?:/[A-Za-z0-9._+\-]+)+/?)
  | (?P<number>[0-9]+(?:\.[0-9]*)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_'\-]*)
  | (?P<operator>\.\.\.|==|!=|<=|>=|&&|\|\||->|//|\+\+|\$\{|[{}()\[\];:,@.?=<>+\-*/!])
  | (?P<other>.)
""", re.S | re.X)

LITERALS = ("1", "-1", "1.5", "9223372036854775807", '"fuzz"', '""', "''fuzz''", '"${1}"', "true", "false", "null",
            "[ ]", "[ 1 ]", "{ }", "{ a = 1; }", "./fuzz", "<fuzz>", "(x: x)", "({ ... }: 1)", "builtins", "pkgs")
"""What a literal may become: any other type."""

NAMES = ("fz", "name", "pkg", "port", "pkgs", "lib", "builtins", "processManager", "instanceName", "dependencies",
         "outPath", "type", "__functor", "__toString", "or", "inherit", "rec", "let", "in", "true", "null")

EXPRESSIONS = (
    '(throw "fuzz")',
    "(assert false; null)",
    '(abort "fuzz")',
    "(let fz = fz; in fz)",
    "(let fz = x: fz x; in fz 1)",
    "(let fz = { x }: fz { inherit x; }; in fz { x = 1; })",
    "(rec { a = b; b = a; }).a",
    "(import ./.)",
    "(import ./processes.nix { })",
    "(builtins.genList (x: x) 100000)",
    "(builtins.toJSON (x: x))",
    "(pkgs.fuzzNotAPackage)",
    "[" * 300 + "1" + "]" * 300,
    "(" * 500 + "1" + ")" * 500,
    "{ a = " * 200 + "1" + "; }" * 200,
    "(let " + " ".join(f"a{i} = a{i + 1};" for i in range(1000)) + " a1000 = 1; in a0)",
)
"""Expressions put in place of a token: failures, infinite recursion, deep nesting, big values."""

INSERTIONS = (*EXPRESSIONS, "assert false;", 'fz = throw "fuzz";', "inherit fz;", "with builtins;", "let fz = 1; in",
              "x: ", "fz.", "or", "${", "}", "''", '"')
"""What may be put before a token: the expressions, and pieces of syntax."""

KINDS = ("delete", "duplicate", "swap", "retype", "rename", "replace", "insert")

Mutation = tuple[str, int, int]

mutations = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 1 << 16), st.integers(0, 1 << 16)), min_size=1, max_size=3
)


def tokens(text: str) -> list[tuple[str, str]]:
    return [(match.lastgroup or "other", match.group()) for match in _TOKEN.finditer(text)]


def mutate(text: str, steps: list[Mutation]) -> str:
    """``text`` with each mutation applied in turn; an index picks among the tokens that are not white space."""
    pieces = tokens(text)
    for kind, first, second in steps:
        solid = [i for i, (token_kind, _) in enumerate(pieces) if token_kind != "space"]
        if not solid:
            break
        i = solid[first % len(solid)]
        token_kind, token = pieces[i]
        if kind == "delete":
            del pieces[i]
        elif kind == "duplicate":
            pieces.insert(i, (token_kind, token))
            pieces.insert(i + 1, ("space", " "))
        elif kind == "swap":
            j = solid[second % len(solid)]
            pieces[i], pieces[j] = pieces[j], pieces[i]
        elif kind == "retype":
            literals = [k for k in solid if pieces[k][0] in ("string", "number", "path")
                        or pieces[k][1] in ("true", "false", "null")] or [i]
            k = literals[first % len(literals)]
            pieces[k] = ("other", LITERALS[second % len(LITERALS)])
        elif kind == "rename":
            names = [k for k in solid if pieces[k][0] == "name"] or [i]
            k = names[first % len(names)]
            candidates = sorted({token for kind_, token in pieces if kind_ == "name"} | set(NAMES))
            pieces[k] = ("name", candidates[second % len(candidates)])
        elif kind == "replace":
            pieces[i] = ("other", EXPRESSIONS[second % len(EXPRESSIONS)])
        else:
            pieces.insert(i, ("other", INSERTIONS[second % len(INSERTIONS)] + " "))
    return "".join(token for _, token in pieces)


class Workspace:
    """A copy of the example models (restored after each example) with a store and a state directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for folder in ("examples/webapps-agnostic", "examples/services-agnostic", "tests/fixtures/webapps"):
            shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "result*"))
        self.store_dir = str(root / "root" / "store")
        self.state_dirs = StateDirs(state_dir=str(root / "state"), force_disable_user_change=True)
        fixture_resources = root / "tests/fixtures/webapps/idresources.nix"
        fixture_resources.write_text("rec {\n  webappPorts = { min = 5000; max = 6000; };\n"
                                     "  uids = { min = 2000; max = 3000; };\n  gids = uids;\n}\n")
        self.originals = {file: (root / file).read_text(encoding="latin-1")
                          for target in TARGETS for file in target.files}

    def run(self, target: Target, file: str, text: str, operation: tuple[str, str | None]) -> None:
        """Parse the mutated ``file``, put it in place, and run ``operation`` on ``target``'s model."""
        path = self.root / file
        parse(Source(text, str(path), str(path.parent)))
        path.write_text(text, encoding="latin-1")
        try:
            self._operate(str(self.root / target.model), operation)
        finally:
            path.write_text(self.originals[file], encoding="latin-1")

    def _operate(self, model: str, operation: tuple[str, str | None]) -> None:
        what, manager = operation
        if what == "id-assign":
            folder = os.path.dirname(model)
            ids = os.path.join(folder, "ids.nix")
            assign_for_processes(ProcessesModel(
                processes=model, id_resources=os.path.join(folder, "idresources.nix"),
                ids=ids if os.path.exists(ids) else None,
            )).render_nix()
            return
        request = BuildRequest(manager, model, self.state_dirs, pkgs="stub")
        with open_store(self.store_dir) as store:
            if what == "build":
                build_profile(store, request)
            elif what == "evaluate":
                profile_derivation(store, request)
            else:
                services = compile_services(store, request)
                services.render_json()
                services.render_xml()


def run_with_deadline(work: Callable[[], None], seconds: float) -> BaseException | None:
    """What ``work`` raised when run as the commands run it (``run_deep``), or None; a hang fails the test."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            run_deep(work, recursion_limit=RECURSION_LIMIT)
            outcome.append(None)
        except BaseException as error:  # judged by the caller
            outcome.append(error)

    thread = threading.Thread(target=target, name="fuzz-example", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"an example ran for more than {seconds} s: a hang")
    return outcome[0]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("fuzz"))


def examine(workspace: Workspace, target: Target, file_index: int, steps: list[Mutation],
            operation: tuple[str, str | None]) -> None:
    """One example: only our errors may come out of it."""
    file = target.files[file_index % len(target.files)]
    text = mutate(workspace.originals[file], steps)
    error = run_with_deadline(lambda: workspace.run(target, file, text, operation), EXAMPLE_DEADLINE)
    if error is not None and not isinstance(error, NixprocError):
        raise AssertionError(
            f"{type(error).__name__} escaped {operation} on {target.model} with {file} mutated by {steps}:\n"
            f"{''.join(traceback.format_exception(error))}\n--- the mutated {file} ---\n{text}"
        )


def test_mutated_models_fail_only_with_our_errors(workspace: Workspace) -> None:
    """Rounds of :data:`ROUND` examples, round N drawn from seed N, until the budget or the examples are spent.

    Hypothesis has no wall-clock limit, and merely drawing 10,000 examples
    (returning at once when the time is up) takes half a minute here; so the
    test runs hypothesis once per round and stops between rounds. A round
    that finds a failure shrinks it and reports it with its round.
    """
    examined = []

    def one(target: Target, file_index: int, steps: list[Mutation], operation: tuple[str, str | None]) -> None:
        examined.append(1)
        examine(workspace, target, file_index, steps, operation)

    started = time.monotonic()
    for round_number in range(FIRST_ROUND, FIRST_ROUND + MAX_EXAMPLES // ROUND):
        if time.monotonic() - started >= BUDGET_SECONDS:
            break
        run_round = seed(round_number)(settings(
            max_examples=ROUND, deadline=None, database=None, print_blob=False,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )(given(target=st.sampled_from(TARGETS), file_index=st.integers(0, 15), steps=mutations,
                operation=st.sampled_from(OPERATIONS))(one)))
        try:
            run_round()
        except Exception as error:
            error.add_note(f"in round {round_number}: NIXPROC_FUZZ_FIRST_ROUND={round_number} starts with it")
            raise
    print(f"fuzz: {len(examined)} examples in {time.monotonic() - started:.0f} s")


def test_the_mutations_cover_every_kind() -> None:
    """Each kind of mutation changes a file, and ``mutate`` is deterministic."""
    original = (REPO / "tests/fixtures/webapps/processes.nix").read_text()
    assert "".join(token for _, token in tokens(original)) == original
    for kind in KINDS:
        changed = mutate(original, [(kind, 7, 3)])
        assert changed != original, kind
        assert changed == mutate(original, [(kind, 7, 3)])


def test_infinite_recursion_and_deep_nesting_end_in_our_errors(workspace: Workspace) -> None:
    """The inserted expressions that stress the evaluator most, each in place of the webapp's port, fail or pass cleanly."""
    target = TARGETS[2]
    file = target.files[0]
    for expression in EXPRESSIONS:
        text = workspace.originals[file].replace("PORT = port;", f"PORT = {expression};")
        error = run_with_deadline(lambda: workspace.run(target, file, text, ("build", "sysvinit")), EXAMPLE_DEADLINE)
        assert error is None or isinstance(error, NixprocError), (expression, error)
        if "fz" in expression and "toJSON" not in expression:
            assert isinstance(error, NixprocError)
            assert re.search(r"infinite recursion|stack overflow", error.message), error.one_line()
