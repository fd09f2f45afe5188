"""Generated differential tests: our evaluator against ``nix-instantiate --eval --strict --json``.

A typed grammar generates expressions over arithmetic, comparisons, strings
and interpolation, lists, sets, ``let``/``rec``/``with``, lambdas, ``if``,
``assert`` and common builtins.  Most are well typed; some have one operand
of the wrong type or a partial operation (``elemAt``, ``/``, a missing
attribute) and may fail with an error ``tryEval`` cannot catch.  For each
outcome the two evaluators must agree: the same JSON, or both an error (with
the same message).

Starting ``nix-instantiate`` costs ~40 ms, so calls are batched: an example
is a list of "safe" expressions (they can fail only through ``throw`` or
``assert``, which ``tryEval`` catches) evaluated in one call as
``map (e: tryEval (deepSeq e e))``, plus a few unsafe ones evaluated one per
call, run in parallel.  A batch that fails anyway (e.g. an integer overflow
in division) falls back to one call per expression.
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nixproc_disnix.compiler.eval.instantiate import EvalRequest, evaluate
from nixproc_disnix.deep import run_deep
from nixproc_disnix.errors import NixprocError

TYPES = ("int", "bool", "string", "ints", "strings", "set")
NAMES = ("a", "b", "c")


@dataclass(frozen=True)
class Gen:
    """Generated source text; ``safe`` if it can fail only via throw/assert."""

    text: str
    safe: bool = True


def _join(template: str, *parts: Gen) -> Gen:
    return Gen(template.format(*(p.text for p in parts)), all(p.safe for p in parts))


Env = tuple[tuple[str, str], ...]  # (variable name, type), innermost last


# -- leaves ------------------------------------------------------------------------

_WORD = st.text(alphabet="abcxyz ,.-", max_size=6)
_ESCAPED = st.lists(st.sampled_from(["a", "b", " ", "\\n", '\\"', "\\$", "\\\\", "é", "$"]), max_size=4)


def _string_literal(chars: list[str]) -> str:
    text = "".join(chars)
    return f'"{text}"' if not text.endswith("$") else f'"{text}x"'


_LEAVES = {
    "int": st.one_of(st.integers(0, 20), st.integers(-5, -1).map(lambda n: f"({n})")).map(lambda n: Gen(str(n))),
    "bool": st.sampled_from(["true", "false"]).map(Gen),
    "string": st.one_of(_WORD.map(lambda s: f'"{s}"'), _ESCAPED.map(_string_literal)).map(Gen),
    "ints": st.lists(st.integers(0, 9), max_size=4).map(lambda xs: Gen("[ " + " ".join(map(str, xs)) + " ]")),
    "strings": st.lists(_WORD, max_size=3).map(lambda xs: Gen("[ " + " ".join(f'"{x}"' for x in xs) + " ]")),
    "set": st.dictionaries(st.sampled_from(NAMES), st.integers(0, 9), max_size=3).map(
        lambda d: Gen("{ " + "".join(f"{k} = {v}; " for k, v in d.items()) + "}")),
}


# -- rules: each takes (sub, env, depth, bad) and returns a strategy of Gen -----------------

def _binary(template: str, left: str, right: str, safe: bool = True):
    @st.composite
    def rule(draw, sub, env, depth, bad):
        g = _join(template, draw(sub(left)), draw(sub(right)))
        return g if safe else Gen(g.text, False)

    return rule


def _unary(template: str, arg: str, safe: bool = True):
    @st.composite
    def rule(draw, sub, env, depth, bad):
        g = _join(template, draw(sub(arg)))
        return g if safe else Gen(g.text, False)

    return rule


def _fixed(template: str, *args: str, safe: bool = True):
    @st.composite
    def rule(draw, sub, env, depth, bad):
        g = _join(template, *(draw(sub(a)) for a in args))
        return g if safe else Gen(g.text, False)

    return rule


def _generic(ty: str):
    """Rules that make a value of any type: if, let, with, lambdas, assert, throw, tryEval."""

    @st.composite
    def if_(draw, sub, env, depth, bad):
        return _join("(if {} then {} else {})", draw(sub("bool")), draw(sub(ty)), draw(sub(ty)))

    @st.composite
    def let(draw, sub, env, depth, bad):
        name = f"v{len(env)}"
        bound = draw(st.sampled_from(TYPES))
        value = draw(expr(bound, env + ((name, bound),), depth - 1, bad))  # let is recursive
        body = draw(expr(ty, env + ((name, bound),), depth - 1, bad))
        return _join(f"(let {name} = {{}}; in {{}})", value, body)

    @st.composite
    def with_(draw, sub, env, depth, bad):
        name = f"w{len(env)}"
        bound = draw(st.sampled_from(TYPES))
        value = draw(sub(bound))
        body = draw(expr(ty, env + ((name, bound),), depth - 1, bad))
        return _join(f"(with {{{{ {name} = {{}}; }}}}; {{}})", value, body)

    @st.composite
    def call(draw, sub, env, depth, bad):
        name = f"v{len(env)}"
        bound = draw(st.sampled_from(TYPES))
        body = draw(expr(ty, env + ((name, bound),), depth - 1, bad))
        if draw(st.booleans()):
            return _join(f"(({name}: {{}}) {{}})", body, draw(sub(bound)))
        return _join(f"(({{{{ {name} ? {{}} }}}}: {{}}) {{{{ }}}})", draw(sub(bound)), body)

    @st.composite
    def rec(draw, sub, env, depth, bad):
        first = draw(sub(ty))
        rest = draw(expr(ty, env + (("p", ty),), depth - 1, bad))
        return _join("(rec {{ p = {}; q = {}; }}).q", first, rest)

    @st.composite
    def assert_(draw, sub, env, depth, bad):
        return _join("(assert {}; {})", draw(sub("bool")), draw(sub(ty)))

    @st.composite
    def throw(draw, sub, env, depth, bad):
        return _join("(throw {})", draw(sub("string")))

    @st.composite
    def try_eval(draw, sub, env, depth, bad):
        return _join("(let r = builtins.tryEval {}; in if r.success then r.value else {})",
                     draw(sub(ty)), draw(sub(ty)))

    @st.composite
    def json(draw, sub, env, depth, bad):
        return _join("(builtins.fromJSON (builtins.toJSON {}))", draw(sub(ty)))

    return [if_, let, with_, call, rec, assert_, throw, try_eval, json]


_RULES = {
    "int": [
        _binary("({} + {})", "int", "int"), _binary("({} - {})", "int", "int"),
        _binary("({} * {})", "int", "int"), _binary("({} / {})", "int", "int", safe=False),
        _unary("({} / 7)", "int"), _unary("(builtins.length {})", "ints"),
        _unary("(builtins.length {})", "strings"), _unary("(builtins.stringLength {})", "string"),
        _fixed("(builtins.elemAt {} {})", "ints", "int", safe=False),
        _fixed("(builtins.foldl' (x: y: x + y) {} {})", "int", "ints"),
        _unary("({}.a or 0)", "set"), _unary("{}.b", "set", safe=False),
        _unary("(builtins.length (builtins.attrNames {}))", "set"),
    ],
    "bool": [
        _binary("({} < {})", "int", "int"), _binary("({} == {})", "int", "int"),
        _binary("({} <= {})", "string", "string"), _binary("({} != {})", "ints", "ints"),
        _binary("({} == {})", "set", "set"), _binary("({} >= {})", "ints", "ints", safe=False),
        _unary("(!{})", "bool"), _binary("({} && {})", "bool", "bool"),
        _binary("({} || {})", "bool", "bool"), _binary("({} -> {})", "bool", "bool"),
        _unary('(builtins.hasAttr "a" {})', "set"), _unary("({} ? b)", "set"),
        _unary("(builtins.tryEval {}).success", "int"), _unary("(builtins.isString {})", "string"),
        _unary('(builtins.typeOf {} == "int")', "int"), _binary("(builtins.elem {} {})", "int", "ints"),
    ],
    "string": [
        _binary("({} + {})", "string", "string"), _fixed('"<${{{}}}|${{toString {}}}>"', "string", "int"),
        _unary("(toString {})", "int"), _unary("(toString {})", "bool"), _unary("(toString {})", "ints"),
        _binary("(builtins.concatStringsSep {} {})", "string", "strings"),
        _fixed("(builtins.substring {} {} {})", "int", "int", "string", safe=False),
        _unary("(builtins.substring 1 2 {})", "string"),
        _fixed('(builtins.replaceStrings [ "a" {} ] [ {} "-" ] {})', "string", "string", "string"),
        _unary("(builtins.toJSON {})", "set"), _unary("(builtins.toJSON {})", "strings"),
        _unary("(builtins.typeOf {})", "ints"),
        _unary('(builtins.concatStringsSep "," (builtins.attrNames {}))', "set"),
        _unary('"${{{}}}"', "int", safe=False),
    ],
    "ints": [
        _binary("({} ++ {})", "ints", "ints"), _fixed("(map (x: x + {}) {})", "int", "ints"),
        _fixed("(builtins.filter (x: x > {}) {})", "int", "ints"),
        _unary("(builtins.genList (x: x * 2) {})", "int", safe=False),
        _unary("(builtins.sort builtins.lessThan {})", "ints"), _unary("(builtins.tail {})", "ints", safe=False),
        _unary("(builtins.attrValues {})", "set"), _fixed("[ {} {} ]", "int", "int"),
    ],
    "strings": [
        _binary("({} ++ {})", "strings", "strings"), _unary("(builtins.attrNames {})", "set"),
        _fixed('(map (s: s + {}) {})', "string", "strings"), _fixed("[ {} ]", "string"),
        _unary("(map toString {})", "ints"), _unary("(builtins.filter (s: s != \"a\") {})", "strings"),
    ],
    "set": [
        _binary("({} // {})", "set", "set"), _fixed("{{ a = {}; b = {}; }}", "int", "int"),
        _unary('(builtins.removeAttrs {} [ "a" "z" ])', "set"),
        _unary("(builtins.mapAttrs (n: v: v * 2) {})", "set"),
        _fixed('(builtins.listToAttrs [ {{ name = "c"; value = {}; }} {{ name = {}; value = 1; }} ])',
               "int", "string", safe=False),
        _fixed("(rec {{ a = {}; b = a + {}; }})", "int", "int"),
        _unary('(builtins.fromJSON "{{\\"a\\": ${{toString {}}}}}")', "int"),
        _fixed("(builtins.intersectAttrs {} {})", "set", "set"),
    ],
}
def _rules_for(ty: str) -> list:
    return _RULES[ty] + _generic(ty)


@st.composite
def expr(draw: st.DrawFn, ty: str, env: Env = (), depth: int = 3, bad: bool = False) -> Gen:
    """An expression of type ``ty``; with ``bad``, possibly one of another type (unsafe)."""
    if bad and draw(st.integers(0, 5)) == 0:
        other = draw(st.sampled_from([t for t in TYPES if t != ty]))
        return Gen(draw(expr(other, env, depth - 1)).text, False)
    names = [n for n, t in env if t == ty]
    if depth <= 0 or draw(st.integers(0, 4)) == 0:
        if names and draw(st.booleans()):
            return Gen(draw(st.sampled_from(names)))
        return draw(_LEAVES[ty])

    def sub(t: str) -> st.SearchStrategy[Gen]:
        return expr(t, env, depth - 1, bad)

    rule = draw(st.sampled_from(_rules_for(ty)))
    return draw(rule(sub, env, depth, bad))


def any_expr(bad: bool) -> st.SearchStrategy[Gen]:
    return st.sampled_from(TYPES).flatmap(lambda ty: expr(ty, (), 4, bad))


# -- running both evaluators ------------------------------------------------------------

def _nix(nix: str, text: str) -> subprocess.Popen:
    return subprocess.Popen([nix, "--eval", "--strict", "--json", "--readonly-mode", "-E", text],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


class Outcome(NamedTuple):
    """JSON output on success, else None and the error message's first line."""

    json: bytes | None
    error: str = ""


def _result(proc: subprocess.Popen) -> Outcome:
    out, err = proc.communicate(timeout=120)
    if proc.returncode == 0:
        return Outcome(out)
    return Outcome(None, err.decode("utf-8", "replace").split("\n")[0].rstrip())


def _ours(text: str) -> Outcome:
    try:
        return Outcome(run_deep(lambda: evaluate(EvalRequest(expr=text, strict=True, output="json")))
                       .encode("latin-1"))
    except NixprocError as err:
        message = err.message
        try:  # Nix strings in the message are latin-1 decoded bytes
            message = message.encode("latin-1").decode("utf-8", "replace")
        except UnicodeEncodeError:
            pass
        return Outcome(None, f"error: {message}".split("\n")[0].rstrip())


def _check(text: str, theirs: Outcome) -> None:
    ours = _ours(text)
    assert ours.json == theirs.json, f"Nix gives {theirs}, we {ours} for:\n{text}"
    # Same message too; Nix 2.8 prints an empty first line for `throw ""`.
    if theirs.json is None and theirs.error:
        assert ours.error == theirs.error, f"for:\n{text}"


def batch_text(exprs: list[str]) -> str:
    return "map (e: builtins.tryEval (builtins.deepSeq e e)) [\n" + "\n".join(f"({e})" for e in exprs) + "\n]"


# NIXPROC_EVAL_EXAMPLES changes the count; each example is ~8 expressions and
# two or three nix-instantiate calls (~1000 expressions in about 30 s on two cores).
EXAMPLES = int(os.environ.get("NIXPROC_EVAL_EXAMPLES", "125"))
DIFFERENTIAL = settings(derandomize=True, database=None, max_examples=EXAMPLES, deadline=None,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                               HealthCheck.large_base_example, HealthCheck.filter_too_much])


@pytest.mark.nix
@DIFFERENTIAL
@given(safe=st.lists(any_expr(False), min_size=5, max_size=10), unsafe=st.lists(any_expr(True), min_size=1, max_size=3))
def test_generated_expressions_evaluate_like_nix(nix: str, safe: list[Gen], unsafe: list[Gen]) -> None:
    batch = [g.text for g in safe if g.safe]
    singles = [g.text for g in safe if not g.safe] + [g.text for g in unsafe]
    procs = [_nix(nix, batch_text(batch))] if batch else []
    procs += [_nix(nix, text) for text in singles]
    results = [_result(p) for p in procs]
    if batch:
        theirs = results.pop(0)
        _check(batch_text(batch), theirs)
        if theirs.json is None:  # an error tryEval cannot catch: find which one, one call each
            for text, proc in [(t, _nix(nix, t)) for t in batch]:
                _check(text, _result(proc))
    for text, theirs in zip(singles, results):
        _check(text, theirs)
