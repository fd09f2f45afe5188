"""Differential tests: JSON, regex, path, hashing and derivation builtins against real Nix 2.8.

Cases are batched: each batch is one list expression evaluated once by
``nix-instantiate --eval --strict --json --readonly-mode`` and once by us.
Batches containing error cases (most errors escape ``tryEval``) are compared
case by case instead.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from nixproc_disnix.compiler.eval.instantiate import EvalRequest, evaluate
from nixproc_disnix.deep import run_deep

DRV = 'derivation { name = "x"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "true" ]; }'

JSON_CASES = [
    'builtins.toJSON { a = 1; b = [ true false null ]; c = "x\\ny\\"z"; d = 1.5; e = { }; }',
    'builtins.toJSON [ 1 2.0 0.1 1e20 "é" ]',
    'builtins.toJSON { outPath = "/foo"; }',
    'builtins.toJSON { __toString = s: "str"; }',
    'builtins.fromJSON "{\\"a\\": [1, 2.0, -3, 1e3, true, null], \\"b\\": {\\"c\\": \\"d\\"}}"',
    'builtins.fromJSON "\\"\\\\u00e9\\\\u0041\\\\n\\""',
    'builtins.fromJSON "18446744073709551615"',
    'builtins.fromJSON "9223372036854775807"',
    'builtins.fromJSON "[]"',
    'builtins.fromJSON (builtins.toJSON { x = [ 1 "a" { y = null; } ]; })',
    'builtins.fromJSON "{\\"a\\":1,\\"a\\":2}"',
    'builtins.fromJSON "99999999999999999999"',
    'builtins.fromJSON "\\"\\\\ud83d\\\\ude00\\""',
    'builtins.fromJSON "NaN"',
    'builtins.toJSON (builtins.fromJSON "0.1")',
    'builtins.toJSON 123456789.123',
]

REGEX_CASES = [
    'builtins.match "ab" "abc"',
    'builtins.match "abc" "abc"',
    'builtins.match "a(b)(c)" "abc"',
    'builtins.match "[[:space:]]+([[:upper:]]+)[[:space:]]+" "  FOO   "',
    'builtins.match "(a)|(b)" "b"',
    'builtins.match "(a|ab)(c|bcd)(d*)" "abcd"',
    'builtins.match "([^=]+)=(.*)" "key=va=lue"',
    'builtins.match ".*\\\\.nix" "default.nix"',
    'builtins.match "[]a]+" "]a]"',
    'builtins.match "[a-]+" "a-a"',
    'builtins.match "x{2,3}" "xxx"',
    'builtins.match "(x)?y" "y"',
    'builtins.match "((a)|b)*" "ab"',
    'builtins.match "[[:alpha:]_][[:alnum:]_]*" "foo_1"',
    'builtins.match "a$" "a"',
    'builtins.match "^a" "a"',
    'builtins.split "(a)b" "abc"',
    'builtins.split "([ac])" "abc"',
    'builtins.split "(a)|(c)" "abc"',
    'builtins.split "([[:upper:]]+)" " FOO "',
    'builtins.split "(a)*" "abc"',
    'builtins.split "," "a,b,,c"',
    'builtins.split "x*" "abc"',
    'builtins.split "a|ab" "xabx"',
    'builtins.split "(.)" ""',
    'builtins.split "b$" "abb"',
    'builtins.split "^a" "aaa"',
    'builtins.match "(" "a"',
    'builtins.match "a)" "a"',
    'builtins.split "[a" "a"',
    'builtins.match "[[:foo:]]" "a"',
    'builtins.match "a{3,2}" "a"',
    'builtins.match "[a-c-e]" "d"',
    'builtins.match "\\\\d" "d"',
    'builtins.match "[\\\\]+" "\\\\"',
    'builtins.match "a**" "aaa"',
    'builtins.match "*a" "a"',
    'builtins.match "a{" "a{"',
    'builtins.match "[[.a.]][[=b=]]" "ab"',
    'builtins.match "(a*)*" "aa"',
    'builtins.match "(a|ab)(bc|c)" "abc"',
    'builtins.match "." "\\n"',
    'builtins.split "(a*)" "baab"',
    'builtins.split "a?" "ba"',
    'builtins.split "(b)|(a)" "ab"',
    'builtins.match "a" (builtins.toFile "x" "a")',
    'builtins.split "/" (builtins.toFile "x" "a")',
]

PATH_CASES = [
    'builtins.baseNameOf "/foo/bar"',
    'builtins.baseNameOf "/foo/bar/"',
    'builtins.baseNameOf "foo"',
    'builtins.baseNameOf ""',
    'builtins.baseNameOf "/"',
    'builtins.baseNameOf /foo/bar',
    'builtins.dirOf "/foo/bar"',
    'builtins.dirOf "/foo/bar/"',
    'builtins.dirOf "foo"',
    'builtins.dirOf "/foo"',
    'builtins.dirOf "/"',
    'builtins.dirOf ""',
    'toString (builtins.dirOf /foo/bar)',
    'builtins.typeOf (builtins.dirOf /foo/bar)',
    'builtins.toPath "/foo//bar/../baz"',
    'builtins.pathExists "/nonexistent/x"',
    'builtins.pathExists /tmp',
    'builtins.hashString "md5" "hello"',
    'builtins.hashString "sha1" "hello"',
    'builtins.hashString "sha256" "héllo"',
    'builtins.hashString "sha512" ""',
    'builtins.hashString "sha3" ""',
    'builtins.placeholder "out"',
    'builtins.placeholder "dev"',
    'builtins.toFile "foo" "bar"',
    'builtins.toFile "foo" "${builtins.toFile "bar" "baz"} and ${builtins.toFile "q" "r"}"',
    'builtins.toFile "foo" "${(%s).outPath}"' % DRV,
    'builtins.toFile "bad name" "x"',
    'builtins.unsafeDiscardStringContext or null',
]

DRV_CASES = [
    f'({DRV}).drvPath',
    f'({DRV}).outPath',
    f'({DRV}).type',
    'derivation { name = "m"; system = "x86_64-linux"; builder = "/bin/sh"; outputs = [ "out" "dev" "doc" ]; }',
    '(derivation { name = "m"; system = "x86_64-linux"; builder = "/bin/sh"; outputs = [ "out" "dev" ]; }).dev.outPath',
    f'(let a = {DRV}; in derivation {{ name = "y"; system = "x86_64-linux"; builder = "/bin/sh"; dep = a; }}).drvPath',
    f'(let a = {DRV}; in derivation {{ name = "y"; system = "x86_64-linux"; builder = "${{a}}/bin/sh"; }}).outPath',
    '(derivation { name = "m"; system = "x86_64-linux"; builder = "/bin/sh"; outputs = [ "out" "dev" ]; }).dev.drvPath',
    '(let a = derivation { name = "m"; system = "x86_64-linux"; builder = "/bin/sh"; outputs = [ "out" "dev" ]; };'
    ' in derivation { name = "z"; system = "x"; builder = "/bin/sh"; d = a.dev; o = a.out; }).drvPath',
    '(derivation { name = "f"; system = "x"; builder = "/bin/sh"; outputHash = "0000000000000000000000000000000000000000000000000000"; outputHashAlgo = "sha256"; outputHashMode = "recursive"; }).outPath',
    '(derivation { name = "f"; system = "x"; builder = "/bin/sh"; outputHash = "sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA="; }).drvPath',
    '(derivation { name = "n"; system = "x"; builder = "/bin/sh"; a = null; b = true; c = false; d = 1; e = 1.5; f = [ 1 "a" [ ] null ]; }).drvPath',
    '(derivation { name = "n"; system = "x"; builder = "/bin/sh"; a = null; __ignoreNulls = true; }).drvPath',
    '(derivation { name = "s"; system = "x"; builder = "/bin/sh"; __structuredAttrs = true; a = { b = [ 1 2 ]; }; c = "d"; }).drvPath',
    '(derivation { name = "e"; system = "x"; builder = "/bin/sh"; placeholder = builtins.placeholder "out"; }).outPath',
    f'(let a = {DRV}; in derivation {{ name = "u"; system = "x"; builder = "/bin/sh";'
    ' p = builtins.unsafeDiscardOutputDependency a.drvPath; }).drvPath',
    f'(let a = {DRV}; in derivation {{ name = "w"; system = "x"; builder = "/bin/sh"; p = a.drvPath; }}).drvPath',
    '(derivation { name = "t"; system = "x"; builder = "/bin/sh"; f = builtins.toFile "a" "b"; }).drvPath',
    'derivation { name = "bad"; system = "x"; }',
    'derivationStrict { system = "x"; builder = "x"; }',
    '(derivation { name = "x"; system = "x"; builder = "x"; outputHashMode = "foo"; }).outPath',
    '(derivation { name = "x"; system = "x"; builder = "x"; __structuredAttrs = true; outputs = [ "out" "b" ]; x = 1.5; y = null; }).b',
    '(derivation { name = "x"; system = "x"; builder = "x"; outputHash = ""; outputHashAlgo = "sha256"; }).outPath',
    'builtins.unsafeDiscardOutputDependency (derivation { name = "x"; system = "x"; builder = "x"; }).drvPath',
    'derivation { name = "bad"; builder = "x"; }',
    'derivation { name = "bad.drv"; builder = "x"; system = "x"; }',
    'derivation { name = "x"; builder = "x"; system = "x"; outputs = [ "a" "a" ]; }',
    'derivation { name = "x"; builder = "x"; system = "x"; outputs = [ ]; }',
    'builtins.toFile "foo" (' + DRV + ').outPath',
]


def _batch(cases: list[str]) -> str:
    return "[ " + " ".join(f"({c})" for c in cases) + " ]"


def _ours(expr: str) -> str:
    out = run_deep(lambda: evaluate(EvalRequest(expr=expr, strict=True, output="json")))
    return out.encode("latin-1").decode("utf-8", "surrogateescape")  # our strings are bytes as latin-1


def _compare_each(nix: str, cases: list[str]) -> None:
    """All cases in one Nix call when none fails; otherwise one by one, comparing
    results, or failure and the first part of the error message."""
    batch = subprocess.run([nix, "--eval", "--strict", "--json", "--readonly-mode", "-E", _batch(cases)],
                           capture_output=True, text=True)
    if batch.returncode == 0:
        assert json.loads(_ours(_batch(cases))) == json.loads(batch.stdout)
        return
    failures = []
    for case in cases:
        ok_nix = subprocess.run([nix, "--eval", "--strict", "--json", "--readonly-mode", "-E", case],
                                capture_output=True, text=True)
        try:
            ours = _ours(case)
            our_err = None
        except Exception as e:  # noqa: BLE001 - compared to Nix's error below
            ours = None
            our_err = getattr(e, "message", str(e))
        if ok_nix.returncode == 0:
            if ours is None or json.loads(ours) != json.loads(ok_nix.stdout):
                failures.append((case, ok_nix.stdout, ours or our_err))
        else:
            if ours is not None:
                failures.append((case, ok_nix.stderr, ours))
            elif our_err.split(",")[0] not in ok_nix.stderr:
                failures.append((case, ok_nix.stderr, our_err))
    assert not failures, "\n".join(f"{c}\n  nix:  {n.strip()}\n  ours: {o}" for c, n, o in failures)


@pytest.mark.nix
@pytest.mark.parametrize("cases", [JSON_CASES, REGEX_CASES, PATH_CASES, DRV_CASES], ids=["json", "regex", "paths", "drv"])
def test_cases(nix: str, cases: list[str]) -> None:
    _compare_each(nix, cases)


@pytest.mark.nix
def test_source_paths(nix: str, tmp_path) -> None:
    (tmp_path / "somefile").write_text("hello\n")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "a.txt").write_text("a")
    (tmp_path / "dir" / "b.nix").write_text("b")
    (tmp_path / "dir" / "link").symlink_to("a.txt")
    d = str(tmp_path)
    cases = [
        f'"${{{d}/somefile}}"',
        f'"${{{d}/dir}}"',
        f'builtins.readFile {d}/somefile',
        f'builtins.readDir {d}/dir',
        f'builtins.hashFile "sha256" {d}/somefile',
        f'builtins.pathExists {d}/somefile',
        f'builtins.pathExists "{d}/nope"',
        f'builtins.path {{ path = {d}/dir; }}',
        f'builtins.path {{ path = {d}/dir; name = "renamed"; }}',
        f'builtins.path {{ path = {d}/somefile; recursive = false; }}',
        f'builtins.path {{ path = {d}/dir; filter = p: t: t != "symlink"; }}',
        f'builtins.filterSource (p: t: builtins.match ".*\\\\.nix" p == null) {d}/dir',
        f'builtins.toJSON {{ p = {d}/somefile; }}',
        f'(derivation {{ name = "src"; system = "x"; builder = "/bin/sh"; src = {d}/dir; }}).drvPath',
        f'builtins.toFile "ref" "${{{d}/somefile}}"',
        f'builtins.baseNameOf {d}/somefile',
        f'builtins.readFile "{d}/nope"',
        f'builtins.readFile {d}/dir',
        f'builtins.path {{ path = {d}/somefile; sha256 = "0000000000000000000000000000000000000000000000000000"; }}',
        f'builtins.path {{ path = {d}/somefile; foo = 1; }}',
        f'builtins.filterSource 1 {d}/dir',
    ]
    _compare_each(nix, cases)
