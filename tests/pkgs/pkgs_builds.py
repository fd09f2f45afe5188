"""Expressions over build-support, evaluated into a temporary store and built there; test sources."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import nixproc_disnix
from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.store.builder import build
from nixproc_disnix.store.store import Store

BUILD_SUPPORT = Path(nixproc_disnix.__file__).parent / "pkgs" / "build-support"
PRELUDE = (
    f"let lib = import <nixpkgs/lib>; pkgs = import {BUILD_SUPPORT} "
    "{ inherit lib; system = builtins.currentSystem; }; in with pkgs; "
)


class Builds:
    """Evaluate ``EXPR`` as ``with pkgs; EXPR`` (``lib`` in scope too), relative to ``workdir``."""

    def __init__(self, store: Store, workdir: Path) -> None:
        self.store = store
        self.workdir = workdir
        self.evaluator = Evaluator(search_path=[], store=store)

    def fresh(self) -> Builds:
        """The same store and directory with a new evaluator, as a second run of a command would have."""
        return Builds(self.store, self.workdir)

    def value(self, expr: str) -> Any:
        """The value of ``expr`` as JSON would show it."""
        text = self.evaluator.force(self.evaluator.eval_string(f"{PRELUDE}builtins.toJSON ({expr})", str(self.workdir)))
        return json.loads(str(text))

    def instantiate(self, expr: str) -> str:
        """The ``.drv`` of the derivation ``expr``, written to the store."""
        drv = self.evaluator.eval_string(f"{PRELUDE}({expr})", str(self.workdir))
        return str(self.evaluator.force(self.evaluator.force(drv)["drvPath"]))

    def build(self, expr: str) -> Path:
        """Instantiate and build ``expr``; its ``out`` path."""
        return Path(build(self.store, self.instantiate(expr))["out"])


def hello_source(directory: Path, with_build_system: bool) -> Path:
    """A C program printing GREETING; with a configure script and Makefile if ``with_build_system``."""
    directory.mkdir(parents=True)
    (directory / "hello.c").write_text(
        '#include <stdio.h>\n'
        'int main(int argc, char **argv) { printf("%s, %s!\\n", GREETING, argc > 1 ? argv[1] : "world"); return 0; }\n'
    )
    if with_build_system:
        # A configure script in the autoconf manner: takes --prefix and other flags, writes config.mk.
        configure = directory / "configure"
        configure.write_text(
            "#!/bin/sh\n"
            ': > config.mk\n'
            'for arg in "$@"; do\n'
            '  case "$arg" in\n'
            '    --prefix=*) echo "PREFIX=${arg#--prefix=}" >> config.mk ;;\n'
            '    --greeting=*) echo "GREETING=${arg#--greeting=}" >> config.mk ;;\n'
            '    *) echo "configure: unknown option $arg" >&2; exit 1 ;;\n'
            '  esac\n'
            'done\n'
        )
        configure.chmod(0o755)
        (directory / "Makefile").write_text(
            "include config.mk\n"
            "hello: hello.c\n"
            "\t$(CC) -DGREETING='\"$(GREETING)\"' -o $@ hello.c\n"
            "check: hello\n"
            "\t./hello > check.out\n"
            "install: hello\n"
            "\tmkdir -p $(PREFIX)/bin\n"
            "\tcp hello $(PREFIX)/bin/hello\n"
        )
    return directory


def run(program: Path, *args: str, env: dict[str, str] | None = None) -> bytes:
    """Run a built program; its standard output."""
    done = subprocess.run([str(program), *args], capture_output=True, env=env if env is not None else dict(os.environ),
                          timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout
