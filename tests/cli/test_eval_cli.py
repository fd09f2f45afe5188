"""``nixproc eval``: the options of ``nix-instantiate --eval`` and errors as one line."""
from __future__ import annotations

import subprocess
import sys

import pytest

COMMAND = [sys.executable, "-c", "from nixproc_disnix.cli.main import main; main()", "eval"]


def run(*args: str, cwd: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *args], capture_output=True, cwd=cwd, env=env, timeout=120)


def out(*args: str, **kwargs) -> str:
    proc = run(*args, **kwargs)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


def test_expression_lazy_and_strict() -> None:
    assert out("-E", "{ a = 1; b = x: x; c = [ (1 + 1) ]; }") == "{ a = 1; b = <CODE>; c = <CODE>; }\n"
    assert out("--strict", "-E", "{ a = 1; b = x: x; c = [ (1 + 1) ]; }") == "{ a = 1; b = <LAMBDA>; c = [ 2 ]; }\n"


def test_json_has_no_trailing_newline() -> None:
    assert out("--strict", "--json", "-E", '{ b = "x"; a = [ 1 2.5 null true ]; }') == '{"a":[1,2.5,null,true],"b":"x"}'


def test_xml_without_location() -> None:
    text = out("--strict", "--xml", "--no-location", "-E", "[ 1 ]")
    assert text == "<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <list>\n    <int value=\"1\" />\n  </list>\n</expr>\n"


def test_file_is_auto_called_with_arg_and_argstr(tmp_path) -> None:
    model = tmp_path / "model.nix"
    model.write_text("{ n ? 1, s, ... }: { sum = n + 1; greeting = \"hello ${s}\"; }\n")
    assert out(str(model), "--strict", "--arg", "n", "41", "--argstr", "s", "world") == \
        '{ greeting = "hello world"; sum = 42; }\n'


def test_attr_path_selects(tmp_path) -> None:
    model = tmp_path / "default.nix"
    model.write_text("{ a = { b = [ 10 20 ]; }; }\n")
    assert out(str(tmp_path), "-A", "a.b.1") == "20\n"


def test_search_path_from_option_and_environment(tmp_path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "default.nix").write_text("{ answer = 42; }\n")
    assert out("-I", f"mylib={tmp_path / 'lib'}", "-E", "(import <mylib>).answer") == "42\n"
    env = {"PATH": "/usr/bin:/bin", "NIX_PATH": f"mylib={tmp_path / 'lib'}"}
    assert out("-E", "(import <mylib>).answer", env=env) == "42\n"


@pytest.mark.parametrize("expr, message", [
    ('throw "boom"', "error: boom, at «string»:1:1"),
    ("let x = x; in x", "error: infinite recursion encountered, at «string»:1:9"),
    ("1 +", "error: syntax error, unexpected end of file, at «string»:1:3"),
    ("{ a = 1; }.b", "error: attribute 'b' missing, at «string»:1:1"),
])
def test_errors_are_one_line_with_exit_status_1(expr: str, message: str) -> None:
    proc = run("-E", expr)
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert proc.stderr.decode().splitlines() == [message]


def test_show_trace_adds_the_frames(tmp_path) -> None:
    model = tmp_path / "t.nix"
    model.write_text('let f = { a }: a + 1; in { x = f { a = "s"; }; }\n')
    plain = run("--strict", str(model))
    traced = run("--strict", "--show-trace", str(model))
    assert plain.returncode == traced.returncode == 1
    assert plain.stderr.decode().splitlines() == [f"error: cannot coerce an integer to a string, at {model}:1:20"]
    assert traced.stderr.decode().splitlines()[1:] == [
        f"       … while evaluating 'f' at {model}:1:9",
        f"       … while evaluating the attribute 'x' at {model}:1:28",
    ]
