"""makeWrapper and wrapProgram: every value reaches the wrapped program byte for byte."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from nixproc_disnix.errors import BuildError
from pkgs_builds import Builds, run

HOSTILE = [
    "it's \"quoted\"",
    "$(touch pwned)",
    "`touch pwned`",
    "two  spaces and\ttab",
    "line one\nline two\n",
    "back\\slash \\n \\",
    "${HOME} $0 $@ * ?",
    "-e",
    "",
    "ünïcödé €",
]

# Prints argv[0], the argument count, the arguments, some variables and the directory, each NUL-terminated.
# A compiled program, because a script would see its own path as argv[0].
SHOW_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
  static const char *vars[] = { "HOSTILE", "DEFAULTED", "KEPT", "LIST", "SUFFIXED", "GONE" };
  char cwd[4096];
  printf("%s%c%d%c", argv[0], 0, argc - 1, 0);
  for (int i = 1; i < argc; i++) printf("%s%c", argv[i], 0);
  for (int i = 0; i < 6; i++) {
    const char *value = getenv(vars[i]);
    if (value) printf("%s=%s%c", vars[i], value, 0); else printf("%s unset%c", vars[i], 0);
  }
  printf("pwd=%s%c", getcwd(cwd, sizeof cwd), 0);
  return 0;
}
"""
SHOW = """
  stdenv.mkDerivation {
    name = "show";
    src = writeTextDir "show.c" (builtins.readFile ./show.c);
    buildPhase = "cc -o show show.c";
    installPhase = "mkdir -p $out/bin; cp show $out/bin/";
  }
"""
pytestmark = pytest.mark.skipif(shutil.which("cc") is None, reason="needs the host's C compiler (cc)")


FLAG_WORDS = "$(id)  `id`;&|<>\n*"
"""Split into words by --add-flags, each then passed on unexpanded."""


def wrapped(builds: Builds, arguments: str) -> Path:
    """``show`` wrapped by ``wrapProgram`` ``arguments``: shell words using $value<N> and $flagWords."""
    values = {f"value{i}": value for i, value in enumerate(HOSTILE)} | {"flagWords": FLAG_WORDS}
    (builds.workdir / "values.json").write_text(json.dumps(values))
    (builds.workdir / "show.c").write_text(SHOW_C)
    return builds.build(f"""
      symlinkJoin (builtins.fromJSON (builtins.readFile ./values.json) // {{
        name = "show-wrapped";
        paths = [ ({SHOW}) ];
        nativeBuildInputs = [ makeWrapper ];
        postBuild = ''wrapProgram $out/bin/show {arguments.strip()}'';
      }})
    """)


def show(program: Path, *args: str, env: dict[str, str] | None = None) -> list[str]:
    """What ``show`` printed, run with ``args`` and the variables it reports set by a caller (or ``env``)."""
    base = {"PATH": os.environ["PATH"], "KEPT": "from caller", "LIST": "caller", "SUFFIXED": "caller",
            "GONE": "caller"}
    output = run(program, *args, env=base | (env or {}))
    assert output.endswith(b"\0")
    return output[:-1].decode().split("\0")


def test_hostile_values_reach_the_program_byte_exact(builds: Builds, tmp_path: Path) -> None:
    flags = " ".join(f'--add-flag "$value{i}"' for i in range(len(HOSTILE)))
    out = wrapped(builds, f"""
      --set HOSTILE "$value4$value1" \\
      --set-default DEFAULTED "$value0" --set-default KEPT "$value2" \\
      --prefix LIST : "$value6" --suffix SUFFIXED "$value5" "$value3" \\
      --unset GONE \\
      {flags} --append-flag "$value7" --add-flags "$flagWords"
    """)
    program = out / "bin" / "show"
    result = show(program, "caller arg", "$(caller)")
    expected_args = [*HOSTILE, "$(id)", "`id`;&|<>", "*", "caller arg", "$(caller)", HOSTILE[7]]
    assert result[0] == str(program)
    assert result[1:2 + len(expected_args)] == [str(len(expected_args)), *expected_args]
    assert result[2 + len(expected_args):] == [
        f"HOSTILE={HOSTILE[4]}{HOSTILE[1]}",
        f"DEFAULTED={HOSTILE[0]}",
        "KEPT=from caller",
        f"LIST={HOSTILE[6]}:caller",
        f"SUFFIXED=caller{HOSTILE[5]}{HOSTILE[3]}",
        "GONE unset",
        f"pwd={os.getcwd()}",
    ]
    assert not any(path.name == "pwned" for path in tmp_path.rglob("*"))


def test_prefix_and_suffix_add_no_separator_to_an_unset_variable(builds: Builds) -> None:
    out = wrapped(builds, '--prefix LIST : "$value0" --suffix SUFFIXED : "$value3" --prefix GONE : ""')
    from_caller = show(out / "bin" / "show")
    assert [f"LIST={HOSTILE[0]}:caller", f"SUFFIXED=caller:{HOSTILE[3]}", "GONE=caller"] == from_caller[-4:-1]
    unset = show(out / "bin" / "show", env={"LIST": "", "SUFFIXED": "", "GONE": ""})
    assert [f"LIST={HOSTILE[0]}", f"SUFFIXED={HOSTILE[3]}", "GONE="] == unset[-4:-1]


def test_argv0_chdir_and_run(builds: Builds, tmp_path: Path) -> None:
    (builds.workdir / "values.json").write_text(json.dumps({"dir": str(tmp_path / "a dir")}))
    (builds.workdir / "show.c").write_text(SHOW_C)
    (tmp_path / "a dir").mkdir()
    out = builds.build(f"""
      runCommand "wrappers" (builtins.fromJSON (builtins.readFile ./values.json) // {{
        nativeBuildInputs = [ makeWrapper ];
        show = {SHOW};
      }}) ''
        makeWrapper $show/bin/show $out/bin/named --argv0 "custom name" --chdir "$dir" \\
          --run 'export HOSTILE="set by --run"'
      ''
    """)
    result = show(out / "bin" / "named")
    assert result[0] == "custom name"
    assert "HOSTILE=set by --run" in result
    assert result[-1] == f"pwd={tmp_path / 'a dir'}"


def test_wrap_program_keeps_argv0_and_the_original(builds: Builds) -> None:
    out = wrapped(builds, "--set HOSTILE x")
    wrapper = out / "bin" / "show"
    hidden = out / "bin" / ".show-wrapped"
    assert os.access(hidden, os.X_OK)
    assert wrapper.read_text().startswith("#! /bin/bash -e\n")
    assert show(wrapper)[0] == str(wrapper)


@pytest.mark.parametrize("arguments, message", [
    ('--set "NOT A NAME" x', "'NOT A NAME' is not a valid variable name"),
    ("--prefix PATH :", "--prefix needs VAR, SEP and VALUE"),
    ("--frobnicate", "unknown argument '--frobnicate'"),
])
def test_bad_arguments_fail_the_build(builds: Builds, arguments: str, message: str) -> None:
    with pytest.raises(BuildError, match=message):
        wrapped(builds, arguments)
