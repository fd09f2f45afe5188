"""AST node classes of the Nix language, shaped like Nix 2.8's ``Expr`` classes.

The parser desugars exactly as Nix does (``a - b`` is a call of ``__sub``,
``<p>`` a call of ``__findFile``, nested attribute paths become nested sets), so
printing an AST gives ``nix-instantiate --parse``'s text and evaluation sees the
same structure real Nix evaluates.  Every node carries the position Nix gives it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Pos


class Expr:
    """Base of all expression nodes."""

    __slots__ = ()
    pos: Pos | None


@dataclass(slots=True, eq=False)
class Int(Expr):
    value: int
    pos: Pos | None = None


@dataclass(slots=True, eq=False)
class Float(Expr):
    value: float
    pos: Pos | None = None


@dataclass(slots=True, eq=False)
class String(Expr):
    value: str
    pos: Pos | None = None


@dataclass(slots=True, eq=False)
class Path(Expr):
    """An absolute path literal (relative ones are made absolute at parse time)."""

    value: str
    pos: Pos | None = None


@dataclass(slots=True, eq=False)
class Var(Expr):
    """A variable reference; :mod:`scope` fills in where it is bound."""

    name: str
    pos: Pos | None = None
    # Static binding: ``level`` environments up, slot ``index``; or, when
    # ``from_with`` is set, the innermost ``with`` is ``level`` environments up.
    level: int = 0
    index: int = 0
    from_with: bool = False


#: A static attribute name, or the expression of a dynamic ``${...}`` name.
AttrName = str | Expr


@dataclass(slots=True, eq=False)
class Select(Expr):
    expr: Expr
    path: list[AttrName]
    default: Expr | None = None
    pos: Pos | None = None


@dataclass(slots=True, eq=False)
class HasAttr(Expr):
    expr: Expr
    path: list[AttrName]
    pos: Pos | None = None


@dataclass(slots=True, eq=False)
class AttrDef:
    expr: Expr
    pos: Pos | None
    inherited: bool = False
    # Slot of this attribute in the environment of a ``rec`` set or ``let``.
    index: int = 0


@dataclass(slots=True, eq=False)
class DynamicAttrDef:
    name: Expr
    value: Expr
    pos: Pos | None


@dataclass(slots=True, eq=False)
class Attrs(Expr):
    recursive: bool = False
    attrs: dict[str, AttrDef] = field(default_factory=dict)
    dynamic: list[DynamicAttrDef] = field(default_factory=list)
    pos: Pos | None = None


@dataclass(slots=True, eq=False)
class List(Expr):
    elems: list[Expr] = field(default_factory=list)
    pos: Pos | None = None


@dataclass(slots=True, eq=False)
class Formal:
    name: str
    default: Expr | None
    pos: Pos | None


@dataclass(slots=True, eq=False)
class Formals:
    formals: list[Formal]
    ellipsis: bool


@dataclass(slots=True, eq=False)
class Lambda(Expr):
    arg: str | None
    formals: Formals | None
    body: Expr
    pos: Pos | None = None
    name: str | None = None  # the attribute it is bound to, for traces


@dataclass(slots=True, eq=False)
class Call(Expr):
    fun: Expr
    args: list[Expr]
    pos: Pos | None = None


@dataclass(slots=True, eq=False)
class Let(Expr):
    attrs: Attrs
    body: Expr
    pos: Pos | None = None


@dataclass(slots=True, eq=False)
class With(Expr):
    attrs: Expr
    body: Expr
    pos: Pos | None = None


@dataclass(slots=True, eq=False)
class If(Expr):
    cond: Expr
    then: Expr
    else_: Expr
    pos: Pos | None = None


@dataclass(slots=True, eq=False)
class Assert(Expr):
    cond: Expr
    body: Expr
    pos: Pos | None = None


@dataclass(slots=True, eq=False)
class Not(Expr):
    expr: Expr
    pos: Pos | None = None


@dataclass(slots=True, eq=False)
class BinOp(Expr):
    """``==``, ``!=``, ``&&``, ``||``, ``->``, ``//`` and ``++`` (the others are calls)."""

    op: str
    left: Expr
    right: Expr
    pos: Pos | None = None


@dataclass(slots=True, eq=False)
class ConcatStrings(Expr):
    """``+`` (``force_string=False``) and string/path interpolation (``force_string=True``)."""

    force_string: bool
    parts: list[Expr]
    pos: Pos | None = None


@dataclass(slots=True, eq=False)
class CurPos(Expr):
    """``__curPos``: the position of the expression itself, as an attribute set."""

    pos: Pos | None = None
