"""Runtime values of the Nix language.

Plain Python values where they fit, so builtins stay simple and fast:

=========  ===========================================================
Nix        Python
=========  ===========================================================
int        ``int`` (wrapped to 64 bits by arithmetic)
float      ``float``
bool       ``bool`` (test ``type(v) is bool`` before ``int``)
null       ``None``
string     ``str`` (latin-1 decoded bytes); :class:`CStr` when it has context
path       :class:`NixPath`
list       ``list`` of values or thunks (never mutated once built)
set        :class:`Attrs` (a ``dict`` of name -> value or thunk)
function   :class:`Closure`, :class:`PrimOp`, :class:`PrimOpApp`
=========  ===========================================================

Unevaluated values are :class:`Thunk`, :class:`Apply` or :class:`Lazy`; ``force`` turns them
into one of the above.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ...errors import EvalError, Pos

if TYPE_CHECKING:
    from .. import ast
    from .env import Env

EMPTY_CONTEXT: frozenset[str] = frozenset()


class CStr(str):
    """A string with a context: the store paths (and derivation outputs) it refers to.

    Context elements use Nix's encoding: ``/nix/store/...`` for a plain path,
    ``=/nix/store/x.drv`` for a derivation with all its outputs, and
    ``!out!/nix/store/x.drv`` for one output.
    """

    __slots__ = ("context",)
    context: frozenset[str]

    def __new__(cls, value: str, context: frozenset[str]) -> "CStr":
        obj = super().__new__(cls, value)
        obj.context = context
        return obj


def make_string(value: str, context: frozenset[str] | set[str]) -> str:
    """A plain ``str`` when the context is empty, else a :class:`CStr`."""
    return CStr(value, frozenset(context)) if context else value


def context_of(s: str) -> frozenset[str]:
    return s.context if type(s) is CStr else EMPTY_CONTEXT


class NixPath:
    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"NixPath({self.path!r})"


class Attrs(dict):
    """An attribute set; ``positions`` maps names to where they were defined."""

    __slots__ = ("positions",)

    def __init__(self, *args: Any, positions: dict[str, Pos | None] | None = None) -> None:
        super().__init__(*args)
        self.positions = positions


class Closure:
    """A Nix lambda with the environment it closes over."""

    __slots__ = ("expr", "env")

    def __init__(self, expr: "ast.Lambda", env: "Env") -> None:
        self.expr = expr
        self.env = env


class PrimOp:
    """A builtin function taking ``arity`` arguments (thunks, forced as it needs)."""

    __slots__ = ("name", "arity", "fn")

    def __init__(self, name: str, arity: int, fn: Callable[..., Any]) -> None:
        self.name = name
        self.arity = arity
        self.fn = fn


class PrimOpApp:
    """A builtin applied to fewer arguments than its arity."""

    __slots__ = ("primop", "args")

    def __init__(self, primop: PrimOp, args: tuple[Any, ...]) -> None:
        self.primop = primop
        self.args = args


_BLACKHOLE = object()


class Thunk:
    """An expression not yet evaluated in its environment (call-by-need)."""

    __slots__ = ("expr", "env", "value")

    def __init__(self, expr: "ast.Expr", env: "Env") -> None:
        self.expr = expr
        self.env = env
        self.value: Any = _BLACKHOLE


class Apply:
    """A lazy function application ``fn arg`` (what ``map`` and friends produce).

    ``pending`` holds ``(fn, arg)`` until the value is known; it is empty while
    being evaluated, which is how re-entry is recognised as infinite recursion.
    """

    __slots__ = ("pending", "value", "pos")

    def __init__(self, fn: Any, arg: Any, pos: Pos | None = None) -> None:
        self.pending: tuple[Any, Any] | None = (fn, arg)
        self.pos = pos
        self.value: Any = _BLACKHOLE


class Lazy:
    """A lazily computed value from Python code; ``pending`` is the zero-argument callable."""

    __slots__ = ("pending", "value")

    def __init__(self, compute: Callable[[], Any]) -> None:
        self.pending: Callable[[], Any] | None = compute
        self.value: Any = _BLACKHOLE


UNEVALUATED = frozenset((Thunk, Apply, Lazy))
BLACKHOLE = _BLACKHOLE


def type_name(v: Any) -> str:
    """``builtins.typeOf``."""
    t = type(v)
    if t is bool:
        return "bool"
    if t is int:
        return "int"
    if t is float:
        return "float"
    if t is str or t is CStr:
        return "string"
    if t is NixPath:
        return "path"
    if v is None:
        return "null"
    if t is Attrs:
        return "set"
    if t is list:
        return "list"
    if t in (Closure, PrimOp, PrimOpApp):
        return "lambda"
    raise TypeError(f"not a Nix value: {v!r}")


def show_type(v: Any) -> str:
    """How Nix names a value's type in error messages."""
    t = type(v)
    if t is CStr:
        return "a string with context"
    if t is PrimOp:
        return f"the built-in function '{v.name}'"
    if t is PrimOpApp:
        return f"the partially applied built-in function '{v.primop.name}'"
    if t in UNEVALUATED:
        return "a thunk"
    return _TYPE_PHRASES[type_name(v)]


_TYPE_PHRASES = {
    "int": "an integer", "bool": "a Boolean", "string": "a string", "path": "a path", "null": "null",
    "set": "a set", "list": "a list", "lambda": "a function", "float": "a float",
}


def is_function(v: Any) -> bool:
    return type(v) in (Closure, PrimOp, PrimOpApp)


def wrap_int(n: int) -> int:
    """Nix integers are 64-bit and wrap on overflow."""
    if -0x8000000000000000 <= n <= 0x7FFFFFFFFFFFFFFF:
        return n
    return (n + 0x8000000000000000) % 0x10000000000000000 - 0x8000000000000000


def eval_error(message: str, pos: Pos | None = None) -> EvalError:
    return EvalError(message, pos)
