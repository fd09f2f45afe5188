"""The jinja2 environment every backend renders its generated files with.

Generated files are mostly shell, and every value in them comes from a user's
processes model, so the environment is strict and quoting is one filter away:

- ``StrictUndefined``: a misspelt variable is an error, never an empty string;
- ``keep_trailing_newline``: a file ends exactly as its template does;
- ``trim_blocks``/``lstrip_blocks``: ``{% %}`` lines leave no blank lines;
- ``sh``: a value as one inert shell word (``shlex.quote`` of Nix's ``toString``);
- ``one_line``: a value inside a ``#`` comment cannot start a new line of code.
"""
from __future__ import annotations

import shlex

import jinja2

from nixproc_disnix.model.nix_json import to_string
from nixproc_disnix.model.process import Scalar


def shell_word(value: Scalar) -> str:
    """``value`` stringified as Nix's ``toString`` does, then quoted as a single shell word."""
    return shlex.quote(to_string(value))


def one_line(value: Scalar) -> str:
    """``value`` with line breaks turned into spaces, for comments and headers."""
    return " ".join(to_string(value).splitlines())


def template_environment(package: str) -> jinja2.Environment:
    """An environment loading the ``templates/`` folder of the backend package ``package``."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    environment.filters["sh"] = shell_word
    environment.filters["one_line"] = one_line
    return environment
