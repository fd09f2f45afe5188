"""Shell completion through click: subcommands of the lazy group, option names, choices, model paths.

Each script completes under its own variable, ``_<SCRIPT NAME, upper case, - as _>_COMPLETE``,
as docs/README.md says.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

SCRIPTS = {
    "nixproc": "nixproc_disnix.cli.main:main",
    "nixproc-build": "nixproc_disnix.cli.build:nixproc_build",
    "nixproc-s6-rc-switch": "nixproc_disnix.cli.switch:s6_rc.switch",
    "dydisnix-id-assign": "nixproc_disnix.cli.idassign:dydisnix_id_assign",
}


def complete(words: str, shell: str = "bash") -> list[str]:
    """What ``words`` (the script's name first) completes to: ``type,value`` lines."""
    script = words.split()[0]
    module, attr = SCRIPTS[script].split(":")
    variable = "_" + script.upper().replace("-", "_") + "_COMPLETE"
    code = f"import {module} as m; m.{attr}(prog_name={script!r})"
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, variable: f"{shell}_complete", "COMP_WORDS": words,
                               "COMP_CWORD": str(cword)})
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_group_completes_its_lazy_subcommands() -> None:
    assert complete("nixproc gr") == ["plain,graph"]
    assert "plain,id-assign" in complete("nixproc ")


def test_options_and_their_choices_complete() -> None:
    assert complete("nixproc-build --process") == ["plain,--process-manager"]
    assert complete("nixproc-build -P s") == ["plain,s6-rc", "plain,supervisord", "plain,systemd", "plain,sysvinit"]
    assert "plain,--switch-generation" in complete("nixproc-s6-rc-switch --sw")
    assert complete("dydisnix-id-assign --output-") == ["plain,--output-file", "plain,--output-xml"]


def test_a_model_argument_completes_as_a_file() -> None:
    assert complete("nixproc-build exa") == ["file,exa"]
    assert complete("nixproc convert exa") == ["file,exa"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_every_shell_gets_a_completion_script(shell: str) -> None:
    variable = "_NIXPROC_COMPLETE"
    done = subprocess.run([sys.executable, "-c", "from nixproc_disnix.cli.main import main; main(prog_name='nixproc')"],
                          capture_output=True, text=True, timeout=60, env={**os.environ, variable: f"{shell}_source"})
    assert done.returncode == 0 and "_NIXPROC_COMPLETE" in done.stdout, done.stderr
