"""The shared jinja2 environment: strict variables, exact trailing newlines, inert shell words."""
from __future__ import annotations

import subprocess

import jinja2
import pytest

from nixproc_disnix.backends.common.templates import one_line, shell_word, template_environment


def test_environment_is_strict_and_keeps_the_trailing_newline() -> None:
    environment = template_environment("nixproc_disnix.backends.sysvinit")
    assert environment.from_string("echo {{ x|sh }}\n").render(x="a b") == "echo 'a b'\n"
    with pytest.raises(jinja2.UndefinedError):
        environment.from_string("{{ missing }}").render()


@pytest.mark.parametrize(
    ("value", "expected"),
    [(text, text) for text in ("it's", "$(echo no) `echo no`", "new\nline\n", "")] + [(5, "5"), (True, "1"), (None, "")],
)
def test_shell_word_round_trips_through_bash(value: str | int | bool | None, expected: str) -> None:
    """Non-strings are stringified as Nix's toString first."""
    printed = subprocess.run(["bash", "-c", f"printf %s {shell_word(value)}"], capture_output=True, text=True)
    assert printed.stdout == expected


def test_one_line() -> None:
    assert one_line("a\nb\r\nc") == "a b c"
