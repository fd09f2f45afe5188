"""``nixproc parse``: expressions, files and standard input; errors as one line and exit 1.

Most tests go through click's CliRunner; the error tests also run the real
command in a subprocess, where a traceback would show on standard error.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from nixproc_disnix.cli.main import main


def invoke(*args: str, stdin: bytes | None = None):
    return CliRunner().invoke(main, ["parse", *args], input=stdin)


def run(*args: str, stdin: bytes = b"", cwd: str | None = None) -> subprocess.CompletedProcess:
    """The command as a process: ``python -c 'main()'`` stands for the ``nixproc`` script."""
    return subprocess.run([sys.executable, "-c", "from nixproc_disnix.cli.main import main; main()", "parse", *args],
                          input=stdin, capture_output=True, cwd=cwd, timeout=120)


def test_expression(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("-E", "x: x + 1 ./a")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"(x: (x + (1 {tmp_path}/a)))\n"


def test_long_option() -> None:
    result = invoke("--expr", "let a = 1; in a")
    assert (result.exit_code, result.stdout) == (0, "(let a = 1; in a)\n")


def test_file_argument_resolves_paths_against_its_directory(tmp_path) -> None:
    f = tmp_path / "sub" / "default.nix"
    f.parent.mkdir()
    f.write_text("{ src = ./src; b = [ 1 2 ]; }\n")
    result = invoke(str(f))
    assert (result.exit_code, result.stdout) == (0, f"{{ b = [ (1) (2) ]; src = {f.parent}/src; }}\n")


def test_directory_argument_means_its_default_nix(tmp_path) -> None:
    (tmp_path / "default.nix").write_text("1")
    result = invoke(str(tmp_path))
    assert (result.exit_code, result.stdout) == (0, "1\n")


def test_standard_input_with_dash(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("-", stdin=b"{ a ? ./x }: a\n")
    assert (result.exit_code, result.stdout) == (0, f"({{ a ? {tmp_path}/x }}: a)\n")


def test_standard_input_without_argument() -> None:
    result = invoke(stdin=b"[ 1 2 ]")
    assert (result.exit_code, result.stdout) == (0, "[ (1) (2) ]\n")


def test_bytes_pass_through_unchanged() -> None:
    proc = run("-", stdin=b'"\xff\xc3\xa9"')
    assert (proc.returncode, proc.stdout) == (0, b'"\xff\xc3\xa9"\n')
    proc = run("-E", '"\u00e9"')
    assert (proc.returncode, proc.stdout) == (0, '"\u00e9"\n'.encode("utf-8"))


def test_deeply_nested_input() -> None:
    depth = 5000
    result = invoke("-", stdin=("[" * depth + "]" * depth).encode())
    assert result.exit_code == 0, result.output
    assert result.stdout.count("[") == depth


@pytest.mark.parametrize("args, stdin, line", [
    pytest.param(["-E", "1 +"], b"", "error: syntax error, unexpected end of file, at «string»:1:3",
                 id="syntax-error-expression"),
    pytest.param(["-"], b"let\n  a = 1;\n  b = ;\nin a", "error: syntax error, unexpected ';', at «stdin»:3:7",
                 id="syntax-error-stdin"),
    pytest.param(["-E", "{ a = 1; a = 2; }"], b"",
                 "error: attribute 'a' already defined at (string):1:3, at «string»:1:10", id="duplicate-attribute"),
    pytest.param(["-E", "x"], b"", "error: undefined variable 'x', at «string»:1:1", id="undefined-variable"),
    pytest.param(["-E", "./a/"], b"", "error: path has a trailing slash, at «string»:1:1", id="lexer-error"),
    pytest.param(["/nonexistent/file.nix"], b"",
                 "error: getting status of '/nonexistent/file.nix': No such file or directory", id="missing-file"),
])
def test_error_is_one_line_and_exit_status_1(args: list[str], stdin: bytes, line: str) -> None:
    result = invoke(*args, stdin=stdin)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == line + "\n"
    proc = run(*args, stdin=stdin)
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert proc.stderr.decode("utf-8") == line + "\n"


def test_error_in_file_names_the_file(tmp_path) -> None:
    f = tmp_path / "bad.nix"
    f.write_text("{\n  a = 1;\n  a = 2;\n}\n")
    proc = run(str(f))
    assert proc.returncode == 1
    assert proc.stderr.decode() == f"error: attribute 'a' already defined at {f}:2:3, at {f}:3:3\n"


def test_relative_file_argument_is_reported_absolute(tmp_path) -> None:
    (tmp_path / "bad.nix").write_text("(1")
    proc = run("bad.nix", cwd=str(tmp_path))
    assert proc.returncode == 1
    expected = f"error: syntax error, unexpected end of file, expecting ')', at {os.path.join(tmp_path, 'bad.nix')}:1:2\n"
    assert proc.stderr.decode() == expected


def test_directory_without_default_nix(tmp_path) -> None:
    proc = run(str(tmp_path))
    assert proc.returncode == 1
    assert proc.stderr.decode() == f"error: opening file '{tmp_path}/default.nix': No such file or directory\n"
