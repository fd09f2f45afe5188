"""The evaluator's core language against real Nix: same printed value, or both fail."""
from __future__ import annotations

import subprocess

import pytest

from nixproc_disnix.compiler.eval.instantiate import EvalRequest, evaluate
from nixproc_disnix.deep import run_deep
from nixproc_disnix.errors import NixprocError

CASES = [
    "1 + 2 * 3 - 4 / 2",
    "7 / -2",
    "0 + -7 / 2",
    "1 + 2.5",
    "9223372036854775807 + 1",
    '"a" + "b" + toString 3',
    '"x${toString 1}y${"z"}"',
    "let a = 1; b = a + 1; in [ a b ]",
    "rec { a = 1; b = a + 1; c = { d = b; }; }",
    "let x = { a = 1; }; in [ x x ]",
    "{ a.b.c = 1; a.b.d = 2; a.e = 3; }",
    'let s = "b"; in { a = 1; ${s} = 2; ${null} = 3; }',
    "let f = { a, b ? a + 1, ... }@args: [ a b (args ? c) ]; in [ (f { a = 1; }) (f { a = 1; b = 5; c = 0; }) ]",
    "let f = x: y: x - y; in f 10 3",
    "with { a = 1; b = 2; }; a + b",
    "let a = 1; in with { a = 2; }; a",
    "with { a = 1; }; with { a = 2; }; a",
    "{ a = 1; } // { b = 2; } // { a = 3; }",
    "[ 1 2 ] ++ [ 3 ] ++ []",
    "{ a = { b = 1; }; }.a.b",
    "{ a = 1; }.b or 5",
    "{ a = 1; } ? a",
    "{ a.b = 1; } ? a.b.c",
    "if 1 < 2 then \"yes\" else \"no\"",
    "[ (1 < 2) (2 <= 2) (3 > 4) (4 >= 4) (\"a\" < \"b\") ([1 2] < [1 3]) ]",
    "[ (1 == 1.0) ({ a = [ 1 ]; } == { a = [ 1 ]; }) ((x: x) == (x: x)) (null == null) (\"a\" != \"b\") ]",
    "[ (true && false) (true || throw \"no\") (false -> throw \"no\") (!true) ]",
    "assert 1 == 1; 42",
    "assert 1 == 2; 42",
    "let x = x; in x",
    "throw \"boom\"",
    "abort \"stop\"",
    "builtins.tryEval (throw \"x\")",
    "builtins.tryEval (assert false; 1)",
    "builtins.tryEval 5",
    "{ a = 1; }.b",
    "1 + \"a\"",
    "\"a\" + 1",
    "let f = { a }: a; in f { b = 1; }",
    "let f = { a }: a; in f { }",
    "(x: x) 1 2",
    "builtins.typeOf [ 1 1.0 \"s\" null true {} [] (x: x) ./. ]",
    "map (x: x * 2) [ 1 2 3 ]",
    "builtins.functionArgs ({ a, b ? 1 }: a)",
    "let s = { __functor = self: x: x + self.n; n = 10; }; in s 5",
    "toString [ 1 \"a\" [ ] null true false 1.5 ]",
    "{ __toString = self: \"hello\"; } + \"\"",
    "\"${{ outPath = \"/foo\"; }}\"",
    "builtins.seq (throw \"forced\") 1",
    "let xs = [ 1 (throw \"lazy\") ]; in builtins.head xs",
    "let p = __curPos; in [ p.line p.column ]",
    "let p = builtins.unsafeGetAttrPos \"a\" { a = 1; }; in [ p.line p.column ]",
    "rec { a = b; b = 1; __overrides = { b = 2; }; }",
    "builtins.ceil 1.5 + builtins.floor (-1.5)",
    "builtins.bitAnd 12 10 + builtins.bitOr 12 10 + builtins.bitXor 12 10",
    "builtins.div 7 2 + builtins.add 1 2 + builtins.sub 5 3 + builtins.mul 2 3",
    "./a/../b + \"/c\"",
]


def nix_eval(expr: str, cwd: str) -> str | None:
    proc = subprocess.run(["nix-instantiate", "--eval", "--strict", "-E", expr], cwd=cwd,
                          capture_output=True)
    return proc.stdout.decode("latin-1") if proc.returncode == 0 else None


def our_eval(expr: str) -> str | None:
    try:
        return run_deep(lambda: evaluate(EvalRequest(expr=expr, strict=True)))
    except NixprocError:
        return None


@pytest.mark.parametrize("expr", CASES)
def test_same_value_as_nix(nix: str, expr: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    expected = nix_eval(expr, str(tmp_path))
    ours = our_eval(expr)
    assert ours == expected
