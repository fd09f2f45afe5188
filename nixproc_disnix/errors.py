"""One error hierarchy for the whole tool.

The CLI turns any of these into a single line ``error: <what> at FILE:LINE:COL``
and exit status 1; anything else escaping to the CLI is a bug.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

OWN_FILES = os.path.dirname(os.path.abspath(__file__)) + os.sep
"""Our package: Nix files under it (the framework, ``derivation.nix``, the ``pkgs`` set) are not the user's."""


@dataclass(frozen=True, slots=True)
class Pos:
    """A source position as Nix reports it: file (or «string»/«stdin»), 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def is_ours(pos: Pos) -> bool:
    """Whether ``pos`` is in one of our own Nix files rather than the user's."""
    return pos.file.startswith(OWN_FILES)


class NixprocError(Exception):
    """Base of every error the tool reports to users."""

    def __init__(self, message: str, pos: Pos | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos

    def one_line(self) -> str:
        """The single line the CLI prints."""
        return f"error: {self.message}" + (f", at {self.pos}" if self.pos else "")


class NixError(NixprocError):
    """An error in a Nix expression, carrying the position of the culprit."""


class ParseError(NixError):
    """The source is not valid Nix (syntax or a static check Nix does at parse time)."""


class EvalError(NixError):
    """Evaluation failed; ``trace`` lists the enclosing positions (innermost first).

    ``attribute`` names the argument (an attribute path) a function found
    invalid; the evaluator then points at where its caller defined it.
    """

    def __init__(self, message: str, pos: Pos | None = None, trace: list[tuple[str, Pos | None]] | None = None,
                 attribute: tuple[str, ...] = ()) -> None:
        super().__init__(message, pos)
        self.trace: list[tuple[str, Pos | None]] = trace or []
        self.attribute = attribute

    def culprit(self) -> Pos | None:
        """Where the user should look: ``pos``, unless it lies in our own Nix files (a framework
        function that received a bad argument), then the innermost traced position in theirs."""
        positions = [self.pos, *(pos for _, pos in self.trace)]
        theirs = [pos for pos in positions if pos is not None and not is_ours(pos)]
        return theirs[0] if theirs else self.pos

    def one_line(self) -> str:
        pos = self.culprit()
        return f"error: {self.message}" + (f", at {pos}" if pos else "")


class ThrownError(EvalError):
    """``throw``: caught by ``builtins.tryEval``."""


class AssertionFailedError(EvalError):
    """A failed ``assert``: caught by ``builtins.tryEval``."""


class AbortError(EvalError):
    """``abort``: never caught."""


class BuildError(NixprocError):
    """A derivation failed to build."""


class DeployError(NixprocError):
    """A switch, activation or deactivation failed."""


class IdAssignError(NixprocError):
    """id-assign could not produce assignments (depleted pool, bad scope, bad model)."""


class GraphError(NixprocError):
    """A dependency graph could not be drawn (inconsistent models, Graphviz missing or failing)."""


class LogsError(NixprocError):
    """A process's output could not be found or read."""
