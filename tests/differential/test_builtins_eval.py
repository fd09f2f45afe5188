"""Differential tests: the attrs, lists and strings builtins against real Nix 2.8.

Expressions that succeed are evaluated by ``nix-instantiate`` in one batch (a
JSON list); each must print exactly what our evaluator prints.  Expressions
that must fail are checked one by one: both sides have to raise the same
error message.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from nixproc_disnix.compiler.eval.instantiate import EvalRequest, evaluate
from nixproc_disnix.deep import run_deep
from nixproc_disnix.errors import NixprocError

pytestmark = pytest.mark.nix

OK = [
    # -- attrs
    'builtins.attrNames { b = 1; a = 2; "B" = 3; "a b" = 4; }',
    'builtins.attrValues { b = 1; a = 2; c = 3; }',
    'builtins.attrNames {}',
    'builtins.getAttr "a" { a = 1; }',
    'builtins.hasAttr "a" { a = 1; }',
    'builtins.hasAttr "b" { a = 1; }',
    'builtins.removeAttrs { a = 1; b = 2; c = 3; } [ "a" "c" "z" ]',
    'builtins.listToAttrs [ { name = "a"; value = 1; } { name = "b"; value = 2; } { name = "a"; value = 3; } ]',
    'builtins.listToAttrs []',
    'builtins.listToAttrs [ { name = "a"; value = 1; } { name = "a"; } ]',
    'builtins.intersectAttrs { a = 1; b = 2; } { b = 3; c = 4; }',
    'builtins.catAttrs "a" [ { a = 1; } { b = 0; } { a = 2; } ]',
    'builtins.mapAttrs (n: v: n + toString v) { x = 1; y = 2; }',
    'builtins.attrNames (builtins.mapAttrs (n: v: throw "lazy") { x = 1; y = 2; })',
    'builtins.zipAttrsWith (n: vs: { inherit n vs; }) [ { a = 1; b = 2; } { a = 3; c = 4; } ]',
    'builtins.attrNames (builtins.zipAttrsWith (n: throw "lazy") [ { a = 1; } { b = 2; } ])',
    'builtins.groupBy (x: if x > 2 then "big" else "small") [ 1 2 3 4 1 ]',
    'builtins.groupBy (x: x) []',
    'builtins.genericClosure { startSet = [ { key = 5; } ]; operator = x: if x.key <= 0 then [] else [ { key = x.key - 1; } { key = x.key - 2; } ]; }',
    'builtins.genericClosure { startSet = [ { key = "a"; v = 1; } { key = "a"; v = 2; } ]; operator = x: []; }',
    'builtins.genericClosure { startSet = [ { key = [ 1 "x" ]; } ]; operator = x: [ { key = [ 1 "x" ]; } { key = [ 1.0 "x" ]; } { key = [ 2 ]; } ]; }',
    'builtins.genericClosure { startSet = [ { key = 1; } ]; operator = x: [ { key = 1.0; } ]; }',
    'builtins.genericClosure { startSet = [ { key = true; } ]; operator = x: []; }',
    'builtins.functionArgs ({ a, b ? 1 }: a)',
    'builtins.length (builtins.attrValues { a = throw "x"; b = throw "y"; })',
    'builtins.attrNames (builtins.removeAttrs { a = throw "x"; b = 1; } [ "b" ])',
    'builtins.length (builtins.catAttrs "a" [ { a = throw "x"; } ])',
    'builtins.attrNames (builtins.intersectAttrs { a = throw "x"; } { a = throw "y"; })',
    'builtins.attrNames (builtins.listToAttrs [ { name = "a"; value = throw "x"; } ])',
    'builtins.attrNames (builtins.groupBy (x: "k") [ (throw "x") ])',
    # -- lists
    'builtins.length [ 1 2 3 ]',
    'builtins.length (map throw [ 1 2 ])',
    'builtins.head [ 1 (throw "x") ]',
    'builtins.length (builtins.tail [ 1 (throw "x") (throw "y") ])',
    'builtins.tail [ 1 2 3 ]',
    'builtins.elemAt [ 1 2 3 ] 2',
    'builtins.elemAt [ (throw "x") 2 ] 1',
    'map (x: x * 2) [ 1 2 3 ]',
    'map (x: x) []',
    'builtins.length (map 1 [ 1 2 ])',
    'builtins.filter (x: x > 1) [ 1 2 3 0 5 ]',
    'builtins.foldl\' (a: b: a + b) 0 [ 1 2 3 ]',
    'builtins.foldl\' (a: b: a ++ [ b ]) [] [ 1 2 3 ]',
    'builtins.foldl\' (a: b: a + b) 0 (builtins.genList (x: x) 100000)',
    'builtins.foldl\' (a: b: throw "never") 7 []',
    'builtins.genList (x: x * x) 5',
    'builtins.genList (x: x) 0',
    'builtins.length (builtins.genList throw 3)',
    'builtins.length (builtins.genList 1 2)',
    'builtins.concatLists [ [ 1 ] [] [ 2 3 ] ]',
    'builtins.concatMap (x: [ x x ]) [ 1 2 ]',
    'builtins.elem 2 [ 1 2 3 ]',
    'builtins.elem 2.0 [ 1 2 3 ]',
    'builtins.elem "a" [ 1 2 3 ]',
    'builtins.elem [ 1 ] [ [ 1 ] ]',
    'builtins.all (x: x > 0) [ 1 2 ]',
    'builtins.all (x: x > 0) []',
    'builtins.all (x: x > 1) [ 1 (throw "short-circuit") ]',
    'builtins.any (x: x > 1) [ 1 2 ]',
    'builtins.any (x: x > 0) [ 1 (throw "short-circuit") ]',
    'builtins.any (x: x) []',
    'builtins.sort builtins.lessThan [ 3 1 2 1.5 ]',
    'builtins.sort (a: b: a < b) [ "b" "a" "B" "" "ab" ]',
    'builtins.sort (a: b: a.k < b.k) [ { k = 2; v = "a"; } { k = 1; v = "b"; } { k = 2; v = "c"; } { k = 1; v = "d"; } { k = 0; v = "e"; } ]',
    'builtins.sort (a: b: a > b) (builtins.genList (x: builtins.bitAnd (x * 7919) 255) 300)',
    'builtins.sort builtins.lessThan [ [ 1 2 ] [ 1 ] [ 0 5 ] ]',
    'builtins.sort (a: b: false) [ 3 1 2 ]',
    'builtins.partition (x: x > 2) [ 1 3 2 4 ]',
    'builtins.partition (x: x) []',
    'builtins.length (builtins.filter (x: true) [ (throw "x") ])',
    'builtins.length (builtins.concatMap (x: [ x ]) [ (throw "x") ])',
    'builtins.length (builtins.partition (x: true) [ 1 ]).right',
    # -- strings
    'builtins.stringLength "hello"',
    'builtins.stringLength ""',
    'builtins.stringLength "h\\u00e9llo"',
    'builtins.substring 1 3 "hello"',
    'builtins.substring 3 100 "hello"',
    'builtins.substring 10 2 "hello"',
    'builtins.substring 1 (-1) "hello"',
    'builtins.substring 0 0 "hello"',
    'builtins.concatStringsSep ", " [ "a" "b" "c" ]',
    'builtins.concatStringsSep "-" []',
    'builtins.concatStringsSep "" [ "a" 1.5 ]' if False else 'builtins.concatStringsSep "/" [ "a" "" "b" ]',
    'builtins.replaceStrings [ "a" "b" ] [ "b" "a" ] "aabbc"',
    'builtins.replaceStrings [ "" ] [ "-" ] "abc"',
    'builtins.replaceStrings [ "" ] [ "-" ] ""',
    'builtins.replaceStrings [ "ab" "a" ] [ "X" "Y" ] "aabab"',
    'builtins.replaceStrings [ "a" "" ] [ "A" "_" ] "xax"',
    'builtins.replaceStrings [] [] "same"',
    'builtins.replaceStrings [ "oo" ] [ "" ] "foooo"',
    'builtins.parseDrvName "hello-2.10"',
    'builtins.parseDrvName "nix-unstable-2.8pre"',
    'builtins.parseDrvName "foo"',
    'builtins.parseDrvName "foo-"',
    'builtins.parseDrvName "foo-bar-1-baz"',
    'map (v: builtins.compareVersions (builtins.elemAt v 0) (builtins.elemAt v 1)) [ [ "1.0" "2.3" ] [ "2.1" "2.3" ] [ "2.3" "2.3" ] [ "2.5" "2.3" ] [ "3.1" "2.3" ] [ "2.3.1" "2.3" ] [ "2.3.1" "2.3a" ] [ "2.3pre1" "2.3" ] [ "2.3" "2.3pre1" ] [ "2.3pre3" "2.3pre12" ] [ "2.3a" "2.3c" ] [ "2.3pre1" "2.3c" ] [ "2.3pre1" "2.3q" ] [ "1.0" "1-0" ] [ "" "0" ] [ "a" "" ] [ "1.2.3" "1.2.3.0" ] [ "99999999999" "2" ] [ "99999999999" "99999999998" ] [ "2.3-rc1" "2.3" ] [ "pre" "" ] [ "1..2" "1.2" ] ]',
    'map builtins.splitVersion [ "1.2.3" "1.2pre3" "2.3-rc1" "" "..1--2ab3c" "a.b" "1.0.0beta" ]',
    'builtins.unsafeDiscardStringContext "plain"',
    'builtins.hasContext "plain"',
    'builtins.getContext "plain"',
    'builtins.toString (builtins.substring 0 2 "${builtins.toString 123}")',
]

ERR = [
    # -- ++ evaluates both operands before checking either is a list
    '0 ++ (builtins.attrNames true)',
    '[ 1 ] ++ 2',
    '(throw "left") ++ (throw "right")',
    'builtins.head []',
    'builtins.tail []',
    'builtins.elemAt [ 1 ] 1',
    'builtins.elemAt [ 1 ] (-1)',
    'builtins.getAttr "x" {}',
    'builtins.listToAttrs [ {} ]',
    'builtins.listToAttrs [ { name = "a"; } ]',
    'builtins.genList (x: x) (-1)',
    'builtins.substring (-1) 2 "abc"',
    'builtins.replaceStrings [ "a" ] [] "abc"',
    'builtins.genericClosure { startSet = [ {} ]; operator = x: []; }',
    'builtins.genericClosure { startSet = [ { key = 1; } { key = "a"; } ]; operator = x: []; }',
    'builtins.groupBy (x: 1) [ 1 ]',
    'builtins.genericClosure { startSet = [ { key = true; } { key = true; } ]; operator = x: []; }',
    'builtins.filter (x: 1) [ 1 ]',
    'builtins.sort (a: b: 1) [ 1 2 ]',
    'builtins.sort builtins.lessThan [ 1 "a" ]',
    'builtins.attrNames [ ]',
    'builtins.length {}',
    'builtins.foldl\' (a: b: a + b) 0 [ 1 "x" ]',
    'builtins.concatLists [ 1 ]',
    'builtins.compareVersions 1 "2"',
    'builtins.head (map throw [ 1 ])',
    'builtins.elemAt (builtins.genList (x: throw "boom") 3) 1',
    'builtins.foldl\' (a: b: b) 0 [ (throw "acc is strict") 1 ]',
]


def _nix_eval(nix: str, expr: str) -> subprocess.CompletedProcess:
    return subprocess.run([nix, "--eval", "--strict", "--json", "-E", expr],
                          capture_output=True, text=True, timeout=120)


def _ours(expr: str) -> str:
    return run_deep(lambda: evaluate(EvalRequest(expr=expr, strict=True, output="json")))


def _batch(exprs: list[str]) -> str:
    return "[\n" + "\n".join(f"({e})" for e in exprs) + "\n]"


@pytest.fixture(scope="module")
def nix_ok(nix: str) -> list:
    proc = _nix_eval(nix, _batch(OK))
    assert proc.returncode == 0, proc.stderr
    values = json.loads(proc.stdout)
    assert len(values) == len(OK)
    return values


@pytest.mark.parametrize("index", range(len(OK)), ids=[e[:60] for e in OK])
def test_builtin_matches_nix(nix_ok: list, index: int) -> None:
    expr = OK[index]
    ours = _ours(expr)
    assert not ours.endswith("\n")  # nix-instantiate --json prints no newline
    assert json.loads(ours) == nix_ok[index], expr


def test_batch_prints_identically(nix: str) -> None:
    expr = _batch(OK)
    proc = _nix_eval(nix, expr)
    assert proc.returncode == 0, proc.stderr
    assert _ours(expr) == proc.stdout


@pytest.mark.parametrize("expr", ERR, ids=[e[:60] for e in ERR])
def test_builtin_error_matches_nix(nix: str, expr: str) -> None:
    proc = _nix_eval(nix, expr)
    assert proc.returncode != 0, f"nix unexpectedly succeeded: {proc.stdout}"
    with pytest.raises(NixprocError) as info:
        _ours(expr)
    assert f"error: {info.value.message}" == proc.stderr.strip().splitlines()[0]
