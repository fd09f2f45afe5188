"""fromJSON on invalid JSON: the same nlohmann::json message as Nix 2.8, position and token included."""
from __future__ import annotations

import subprocess

import pytest

from nixproc_disnix.compiler.eval.instantiate import EvalRequest, evaluate
from nixproc_disnix.deep import run_deep
from nixproc_disnix.errors import EvalError

pytestmark = pytest.mark.nix

INVALID = [
    '{"a": }', "[1,]", "", " ", "tru", "nul", "NaN", "Infinity", "[-Infinity]", '{"a" 1}', "{1:2}", "[1 2]",
    '"abc', "-x", "1.", "1e", "1e+", '{"a":1,}', "01", "[1]x", '"a\\q"', '{"a":\n }', '"\\u12"', '"a\nb"',
    "[1, nul", '{"a":1 "b"}', '{"a": tx}', '{"a": 1.5e}', '["a",\n ?]', '{\n"a"\n}', '{"a": {"b": [1, {]}}',
    '"\t"', '"\x01"', '"\x0b"', '"\x1f"', "[[[", "{}}",
]


def nix_string(text: str) -> str:
    """A Nix string literal of ``text``; other control characters stand in it as they are."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${")
    return '"' + escaped.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + '"'


@pytest.mark.parametrize("text", INVALID)
def test_error_message_matches_nix(nix: str, text: str) -> None:
    expression = f"builtins.fromJSON {nix_string(text)}"
    theirs = subprocess.run([nix, "--eval", "-E", expression], capture_output=True, text=True)
    assert theirs.returncode != 0
    with pytest.raises(EvalError) as ours:
        run_deep(lambda: evaluate(EvalRequest(expr=expression)))
    assert "error: " + ours.value.message == theirs.stderr.splitlines()[0]
