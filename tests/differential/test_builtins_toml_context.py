"""Differential tests: fromTOML, the context primops and ``<nix/fetchurl.nix>`` against real Nix 2.8.

Successful expressions must print the same ``--json``; failing ones must fail
with the same first line of the message (TOML syntax errors only need to
fail: our messages come from tomllib, not toml11).
"""
from __future__ import annotations

import subprocess

import pytest

from nixproc_disnix.compiler.eval.instantiate import EvalRequest, evaluate
from nixproc_disnix.deep import run_deep
from nixproc_disnix.errors import NixprocError

pytestmark = pytest.mark.nix

DRV = 'derivation { name = "d"; builder = "/bin/sh"; system = "x86_64-linux"; outputs = [ "out" "dev" ]; }'
FETCHURL = 'import <nix/fetchurl.nix> { url = "http://example.org/x"; '

OK = [
    r'builtins.fromTOML "a = 1\nb = \"x\"\n[t]\nc = [1, 2]\n[[arr]]\nd = true\n[[arr]]\nd = false"',
    r'builtins.fromTOML "a = 9223372036854775808\nb = -9223372036854775809\nc = 0xFFFFFFFFFFFFFFFFFF"',
    r'builtins.fromTOML "a = 1e400\nb = -1e400\nc = 1e-400\nd = 1_000.5\ne = 0o17\nf = 0b101"',
    r'builtins.fromTOML "a.b.c = 1\na.d = \"\\u00e9\"\n\"q k\" = [[1], [\"x\", 2.5]]"',
    r'builtins.fromTOML ""',
    r'builtins.fromTOML "s = \"\"\"\nmulti\nline\"\"\"\nl = ' + "'C:\\\\dir'" + '"',
    f'builtins.getContext (let d = {DRV}; in "${{d}}${{d.dev}}${{d.drvPath}}")',
    f'builtins.getContext (builtins.appendContext "x" {{ "${{builtins.unsafeDiscardStringContext ({DRV}).drvPath}}" '
    '= { outputs = [ "out" "dev" ]; path = true; allOutputs = false; }; })',
    f'builtins.hasContext (builtins.unsafeDiscardStringContext "${{{DRV}}}")',
    'builtins.getContext (builtins.appendContext "x" { "/nix/store/00000000000000000000000000000000-a" = { path = true; }; })',
    'builtins.getContext (builtins.appendContext "" { "/nix/store/00000000000000000000000000000000-a" = { outputs = []; }; })',
    f'({FETCHURL}sha256 = "0000000000000000000000000000000000000000000000000000"; }}).drvPath',
    f'({FETCHURL}md5 = "d41d8cd98f00b204e9800998ecf8427e"; unpack = true; }}).drvAttrs',
    f'({FETCHURL}hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; executable = true; }}).drvPath',
    'builtins.functionArgs (import <nix/fetchurl.nix>)',
]

ERR = [
    r'builtins.fromTOML "a = 1979-05-27T07:32:00Z"',
    r'builtins.fromTOML "a = [07:32:00]"',
    'builtins.fromTOML 1',
    'builtins.appendContext "" { "/nix/store/x" = {}; }',
    'builtins.appendContext "" { "/nix/store/00000000000000000000000000000000-a" = { allOutputs = true; }; }',
    'builtins.appendContext "" { "/nix/store/00000000000000000000000000000000-a" = { outputs = [ "out" ]; }; }',
    'builtins.appendContext "" { "/nix/store/00000000000000000000000000000000-a" = { path = 1; }; }',
    'builtins.fetchurl 1',
]

SYNTAX_ERR = [r'builtins.fromTOML "a = 1\na = 2"', r'builtins.fromTOML "x"', r'builtins.fromTOML "a = {b=1}\na.c=2"']


def _nix_eval(nix: str, expr: str) -> subprocess.CompletedProcess:
    return subprocess.run([nix, "--eval", "--strict", "--json", "--readonly-mode", "-E", expr],
                          capture_output=True, timeout=120)


def _ours(expr: str) -> str:
    return run_deep(lambda: evaluate(EvalRequest(expr=expr, strict=True, output="json")))


@pytest.mark.parametrize("expr", OK, ids=[e[:60] for e in OK])
def test_matches_nix(nix: str, expr: str) -> None:
    proc = _nix_eval(nix, expr)
    assert proc.returncode == 0, proc.stderr
    # Our strings are latin-1 decoded bytes: compare bytes with Nix's output.
    assert _ours(expr).encode("latin-1") == proc.stdout


@pytest.mark.parametrize("expr", ERR, ids=[e[:60] for e in ERR])
def test_error_matches_nix(nix: str, expr: str) -> None:
    proc = _nix_eval(nix, expr)
    assert proc.returncode != 0, f"nix unexpectedly succeeded: {proc.stdout}"
    with pytest.raises(NixprocError) as info:
        _ours(expr)
    assert f"error: {info.value.message}" == proc.stderr.decode().strip().splitlines()[0]


@pytest.mark.parametrize("expr", SYNTAX_ERR, ids=[e[:60] for e in SYNTAX_ERR])
def test_toml_syntax_errors_fail_on_both(nix: str, expr: str) -> None:
    assert _nix_eval(nix, expr).returncode != 0
    with pytest.raises(NixprocError, match="^while parsing a TOML string: "):
        _ours(expr)
