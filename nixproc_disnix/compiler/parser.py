"""Nix source -> AST: our lexer feeding a Lark LALR parser built from ``nix.lark``.

The tree is built during parsing (Lark's inline transformer), desugared and
checked exactly as Nix 2.8's bison actions do it: attribute paths are merged
into nested sets, duplicates are errors at the positions Nix reports, and
formals are checked for duplicates.  Variable scoping is checked afterwards by
:mod:`scope`, as Nix's ``bindVars`` does.
"""
from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path as FsPath
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedToken, VisitError
from lark.lexer import Lexer as LarkLexer
from lark.parsers.lalr_analysis import Reduce

from ..errors import NixprocError, ParseError, Pos
from . import ast
from .lexer import DISPLAY_NAMES, LAMBDA_MAY_FOLLOW, Lexer, Source
from .printer import show_id  # Nix prints names in messages as it prints identifiers
from .scope import bind_vars
from .strip import strip_indentation

GRAMMAR_FILE = FsPath(__file__).with_name("nix.lark")


def canon_path(path: str) -> str:
    """Nix's ``canonPath`` without symlink resolution: drop ``.``, ``..`` and ``//``."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
        else:
            parts.append(part)
    return "/" + "/".join(parts)


def abs_path(path: str, base_dir: str) -> str:
    return canon_path(path if path.startswith("/") else f"{base_dir}/{path}")


def home_dir() -> str:
    home = os.environ.get("HOME")
    if home:
        return home
    import pwd

    return pwd.getpwuid(os.getuid()).pw_dir


class _Tokens:
    """The tokens of one source, with where its end of file is reported."""

    def __init__(self, tokens: list[Token], eof: Pos) -> None:
        self.tokens = tokens
        self.eof = eof


class _TokenStream(LarkLexer):
    """Lark's custom-lexer hook: the tokens were produced up front by :class:`Lexer`.

    Tokens are handed over one at a time while the parser runs, so the parser's
    state is at hand for the one decision that needs it: after ``{ }`` where a
    lambda may start, Nix's GLR parser also tries empty formals, and when the
    next token fits neither reading it reports the formals' error (and runs none
    of the semantic actions it deferred while the readings were split).
    """

    __future_interface__ = 1

    def __init__(self, lexer_conf: Any) -> None:
        pass

    def lex(self, lexer_state: Any, parser_state: Any) -> Any:  # type: ignore[override]
        data = lexer_state.text
        stream: _Tokens = getattr(data, "text", data)
        toks = stream.tokens
        for i, tok in enumerate(toks):
            if tok.type != "LEXERROR" and _after_empty_braces(toks, i) and not _accepts(parser_state, tok.type):
                raise _formals_error(tok, Pos(stream.eof.file, tok.line, tok.column))
            yield tok
        if _after_empty_braces(toks, len(toks)) and not _accepts(parser_state, "$END"):
            raise _formals_error(None, stream.eof)


def _after_empty_braces(toks: list[Token], i: int) -> bool:
    """Whether token ``i`` follows a ``{ }`` where a lambda may start."""
    return (i >= 2 and toks[i - 1].type == "RBRACE" and toks[i - 2].type == "LBRACE"
            and (i == 2 or toks[i - 3].type in LAMBDA_MAY_FOLLOW))


def _accepts(parser_state: Any, token_type: str) -> bool:
    """Whether the LALR tables shift ``token_type`` (after reductions) from this
    state: the reductions are simulated on a copy of the state stack only."""
    states, end_state = parser_state.parse_conf.states, parser_state.parse_conf.end_state
    stack = list(parser_state.state_stack)
    while True:
        action = states[stack[-1]].get(token_type)
        if action is None:
            return False
        if action[0] is not Reduce:
            return True
        rule = action[1]
        if rule.expansion:
            del stack[-len(rule.expansion):]
        goto = states[stack[-1]].get(rule.origin.name)
        if goto is None:
            return False
        stack.append(goto[1])
        if token_type == "$END" and stack[-1] == end_state:
            return True


def _formals_error(tok: Token | None, pos: Pos) -> ParseError:
    unexpected = "end of file" if tok is None else _display(tok)
    return ParseError(f"syntax error, unexpected {unexpected}, expecting ':' or '@'", pos)


def _display(tok: Token) -> str:
    if tok.type == "CHAR":
        return "invalid token"  # bytes the grammar never mentions are bison's undefined token
    return DISPLAY_NAMES.get(tok.type, tok.type)


class _Builder(Transformer):
    """Semantic actions of Nix's parser.y, one method per grammar alternative."""

    def __init__(self) -> None:
        super().__init__()
        self.file = "«string»"
        self.base_dir = "/"
        # Start positions of parenthesised expressions (Nix has no node for the
        # parentheses, but a rule's position is where its first symbol starts).
        self.starts: dict[int, tuple[ast.Expr, Pos]] = {}
        # Expressions made by ``inherit`` whose position is only known once the
        # enclosing set or ``let`` is complete, keyed by that set's id.
        self.inherits: dict[int, list[ast.Expr]] = {}

    # -- helpers -----------------------------------------------------------

    def pos(self, tok: Token) -> Pos:
        return Pos(self.file, tok.line, tok.column)

    def end_pos(self, tok: Token) -> Pos:
        """Where the token ends: the position of an empty rule reduced right after it."""
        return Pos(self.file, tok.end_line, tok.end_column)

    def first(self, item: Any) -> Pos | None:
        """Where a rule's first symbol starts (Nix's ``CUR_POS``)."""
        if isinstance(item, Token):
            return self.pos(item)
        paren = self.starts.get(id(item))
        if paren is not None and paren[0] is item:
            return paren[1]
        return item.pos

    # -- functions and statements ------------------------------------------

    def lambda_simple(self, c: list) -> ast.Expr:
        return ast.Lambda(c[0].value, None, c[2], self.pos(c[0]))

    def lambda_formals(self, c: list) -> ast.Expr:
        return ast.Lambda(None, self._formals(c[1]), c[4], self.pos(c[0]))

    def lambda_formals_at(self, c: list) -> ast.Expr:
        pos = self.pos(c[0])
        return ast.Lambda(c[4].value, self._formals(c[1], pos, c[4].value), c[6], pos)

    def lambda_at_formals(self, c: list) -> ast.Expr:
        pos = self.pos(c[0])
        return ast.Lambda(c[0].value, self._formals(c[3], pos, c[0].value), c[6], pos)

    def _formals(self, parsed: tuple[list[ast.Formal], bool], pos: Pos | None = None,
                 arg: str | None = None) -> ast.Formals:
        formals = parsed[0][::-1]  # the right-recursive rule collected them backwards
        ellipsis = parsed[1]
        seen: dict[str, list[ast.Formal]] = {}
        for formal in formals:
            seen.setdefault(formal.name, []).append(formal)
        for name, occurrences in seen.items():
            if len(occurrences) > 1:
                raise ParseError(f"duplicate formal function argument '{show_id(name)}'", occurrences[1].pos)
        if arg is not None and arg in seen:
            raise ParseError(f"duplicate formal function argument '{show_id(arg)}'", pos)
        return ast.Formals(formals, ellipsis)

    def assert_(self, c: list) -> ast.Expr:
        return ast.Assert(c[1], c[3], self.pos(c[0]))

    def with_(self, c: list) -> ast.Expr:
        return ast.With(c[1], c[3], self.pos(c[0]))

    def let(self, c: list) -> ast.Expr:
        attrs: ast.Attrs = c[1]
        self._place_binds(attrs, c[0])
        if attrs.dynamic:
            raise ParseError("dynamic attributes not allowed in let", self.pos(c[0]))
        return ast.Let(attrs, c[3], self.pos(c[0]))

    def if_(self, c: list) -> ast.Expr:
        return ast.If(c[1], c[3], c[5], self.pos(c[0]))

    # -- operators -----------------------------------------------------------

    def binop(self, c: list) -> ast.Expr:
        return ast.BinOp(c[1].value, c[0], c[2], self.first(c[0]))

    def _call(self, name: str, args: list[ast.Expr], pos: Pos | None) -> ast.Call:
        return ast.Call(ast.Var(name, pos), args, pos)

    def less_than(self, c: list) -> ast.Expr:
        return self._call("__lessThan", [c[0], c[2]], self.first(c[0]))

    def greater_than(self, c: list) -> ast.Expr:
        return self._call("__lessThan", [c[2], c[0]], self.first(c[0]))

    def less_equal(self, c: list) -> ast.Expr:
        pos = self.first(c[0])
        return ast.Not(self._call("__lessThan", [c[2], c[0]], pos), pos)

    def greater_equal(self, c: list) -> ast.Expr:
        pos = self.first(c[0])
        return ast.Not(self._call("__lessThan", [c[0], c[2]], pos), pos)

    def plus(self, c: list) -> ast.Expr:
        return ast.ConcatStrings(False, [c[0], c[2]], self.first(c[0]))

    _ARITH = {"-": "__sub", "*": "__mul", "/": "__div"}

    def arith(self, c: list) -> ast.Expr:
        return self._call(self._ARITH[c[1].value], [c[0], c[2]], self.first(c[0]))

    def has_attr(self, c: list) -> ast.Expr:
        return ast.HasAttr(c[0], c[2], self.first(c[0]))

    def negate(self, c: list) -> ast.Expr:
        pos = self.pos(c[0])
        return self._call("__sub", [ast.Int(0, pos), c[1]], pos)

    def not_(self, c: list) -> ast.Expr:
        return ast.Not(c[1], self.pos(c[0]))

    def app(self, c: list) -> ast.Expr:
        fun = c[0]
        if isinstance(fun, ast.Call):
            fun.args.append(c[1])
            return fun
        return ast.Call(fun, [c[1]], self.first(fun))

    # -- selection -----------------------------------------------------------

    def select(self, c: list) -> ast.Expr:
        return ast.Select(c[0], c[2], None, self.first(c[0]))

    def select_or(self, c: list) -> ast.Expr:
        return ast.Select(c[0], c[2], c[4], self.first(c[0]))

    def app_or(self, c: list) -> ast.Expr:
        pos = self.first(c[0])
        return ast.Call(c[0], [ast.Var("or", pos)], pos)

    # -- simple expressions ----------------------------------------------------

    def var(self, c: list) -> ast.Expr:
        tok = c[0]
        if tok.value == "__curPos":
            return ast.CurPos(self.pos(tok))
        return ast.Var(tok.value, self.pos(tok))

    def int_(self, c: list) -> ast.Expr:
        return ast.Int(int(c[0].value), self.pos(c[0]))

    def float_(self, c: list) -> ast.Expr:
        return ast.Float(float(c[0].value), self.pos(c[0]))

    def string(self, c: list) -> ast.Expr:
        node = c[1]
        if node.pos is None or isinstance(node, ast.String):
            node.pos = self.pos(c[0])
        self.starts[id(node)] = (node, self.pos(c[0]))
        return node

    def ind_string(self, c: list) -> ast.Expr:
        node = strip_indentation(self.pos(c[0]), c[1])
        self.starts[id(node)] = (node, self.pos(c[0]))
        return node

    def path(self, c: list) -> ast.Expr:
        return c[0]

    def path_interpolated(self, c: list) -> ast.Expr:
        return ast.ConcatStrings(False, [c[0], *c[1]], c[0].pos)

    def search_path(self, c: list) -> ast.Expr:
        pos = self.pos(c[0])
        return ast.Call(ast.Var("__findFile", pos),
                        [ast.Var("__nixPath", pos), ast.String(c[0].value[1:-1], pos)], pos)

    def uri(self, c: list) -> ast.Expr:
        return ast.String(c[0].value, self.pos(c[0]))

    def paren(self, c: list) -> ast.Expr:
        node = c[1]
        self.starts[id(node)] = (node, self.pos(c[0]))
        return node

    def let_legacy(self, c: list) -> ast.Expr:
        attrs: ast.Attrs = c[2]
        self._place_binds(attrs, c[1])
        attrs.recursive = True
        node = ast.Select(attrs, ["body"], None, None)
        self.starts[id(node)] = (node, self.pos(c[0]))
        return node

    def rec_attrs(self, c: list) -> ast.Expr:
        attrs: ast.Attrs = c[2]
        self._place_binds(attrs, c[1])
        attrs.recursive = True
        attrs.pos = self.pos(c[0])
        return attrs

    def attrs(self, c: list) -> ast.Expr:
        attrs: ast.Attrs = c[1]
        self._place_binds(attrs, c[0])
        return attrs

    def _place_binds(self, attrs: ast.Attrs, before: Token) -> None:
        """Give the set and its ``inherit`` expressions the position Nix gives them:
        the set where the token before it starts, the inherited names where it ends."""
        attrs.pos = self.pos(before)
        where = self.end_pos(before)
        for expr in self.inherits.pop(id(attrs), ()):
            expr.pos = where

    def list_(self, c: list) -> ast.Expr:
        return ast.List(c[1], self.pos(c[0]))

    # -- strings -------------------------------------------------------------

    def string_single(self, c: list) -> ast.Expr:
        return ast.String(c[0].value, None)

    def string_interpolated(self, c: list) -> ast.Expr:
        parts = c[0]
        return ast.ConcatStrings(True, parts, parts[0].pos)

    def string_empty(self, c: list) -> ast.Expr:
        return ast.String("", None)

    def parts_add_str(self, c: list) -> list:
        c[0].append(ast.String(c[1].value, self.pos(c[1])))
        return c[0]

    def parts_add_expr(self, c: list) -> list:
        c[0].append(c[2])
        return c[0]

    def parts_first_expr(self, c: list) -> list:
        return [c[1]]

    def parts_first_str_expr(self, c: list) -> list:
        return [ast.String(c[0].value, self.pos(c[0])), c[2]]

    def path_start(self, c: list) -> ast.Expr:
        text = c[0].value
        path = abs_path(text, self.base_dir)
        if text.endswith("/") and len(text) > 1 and path != "/":
            path += "/"
        return ast.Path(path, self.pos(c[0]))

    def home_path_start(self, c: list) -> ast.Expr:
        return ast.Path(home_dir() + c[0].value[1:], self.pos(c[0]))

    def ind_add_str(self, c: list) -> list:
        c[0].append((self.pos(c[1]), c[1].value, True))
        return c[0]

    def ind_add_lit(self, c: list) -> list:
        c[0].append((self.pos(c[1]), c[1].value, False))
        return c[0]

    def ind_add_expr(self, c: list) -> list:
        c[0].append((self.pos(c[1]), c[2], False))
        return c[0]

    def ind_empty(self, c: list) -> list:
        return []

    # -- bindings ------------------------------------------------------------

    def bind(self, c: list) -> ast.Attrs:
        attrs: ast.Attrs = c[0]
        path: list[ast.AttrName] = c[1]
        self._add_attr(attrs, path, c[3], self._path_pos(c[1]))
        return attrs

    def _path_pos(self, path: list[ast.AttrName]) -> Pos | None:
        return path.start  # type: ignore[attr-defined]

    def bind_inherit(self, c: list) -> ast.Attrs:
        attrs: ast.Attrs = c[0]
        names, where = c[2], self.end_pos(c[1])
        for name in names:
            if name in attrs.attrs:
                _dup_attr(show_id(name), where, attrs.attrs[name].pos)
            var = ast.Var(name, None)
            self.inherits.setdefault(id(attrs), []).append(var)
            attrs.attrs[name] = ast.AttrDef(var, where, inherited=True)
        return attrs

    def bind_inherit_from(self, c: list) -> ast.Attrs:
        attrs: ast.Attrs = c[0]
        source, names, where = c[3], c[5], self.end_pos(c[4])
        for name in names:
            if name in attrs.attrs:
                _dup_attr(show_id(name), where, attrs.attrs[name].pos)
            select = ast.Select(source, [name], None, None)
            self.inherits.setdefault(id(attrs), []).append(select)
            attrs.attrs[name] = ast.AttrDef(select, where)
        return attrs

    def binds_empty(self, c: list) -> ast.Attrs:
        return ast.Attrs()

    def _add_attr(self, attrs: ast.Attrs, path: list[ast.AttrName], expr: ast.Expr, pos: Pos | None) -> None:
        """Nix's ``addAttr``: ``a.b.c = e`` creates or extends nested sets."""
        for name in path[:-1]:
            if isinstance(name, str):
                existing = attrs.attrs.get(name)
                if existing is None:
                    nested = ast.Attrs(pos=pos)
                    attrs.attrs[name] = ast.AttrDef(nested, pos)
                    attrs = nested
                elif existing.inherited or not isinstance(existing.expr, ast.Attrs):
                    _dup_attr(_show_path(path), pos, existing.pos)
                else:
                    attrs = existing.expr
            else:
                nested = ast.Attrs(pos=pos)
                attrs.dynamic.append(ast.DynamicAttrDef(name, nested, pos))
                attrs = nested
        last = path[-1]
        if not isinstance(last, str):
            attrs.dynamic.append(ast.DynamicAttrDef(last, expr, pos))
            return
        existing = attrs.attrs.get(last)
        if existing is None:
            attrs.attrs[last] = ast.AttrDef(expr, pos)
            if isinstance(expr, ast.Lambda):
                expr.name = last
            return
        if isinstance(expr, ast.Attrs) and isinstance(existing.expr, ast.Attrs) and not existing.inherited:
            target = existing.expr
            for name, attr in expr.attrs.items():
                if name in target.attrs:
                    # Nix reports this one the other way round: the new position in
                    # the message, the earlier one as the error's location.
                    _dup_attr(show_id(name), target.attrs[name].pos, attr.pos)
                target.attrs[name] = attr
            return
        _dup_attr(_show_path(path), pos, existing.pos)

    def attrs_add(self, c: list) -> list:
        c[0].append(c[1].value)
        return c[0]

    def attrs_add_string(self, c: list) -> list:
        name = c[1]
        if not isinstance(name, ast.String):
            raise ParseError("dynamic attributes not allowed in inherit", name.pos)
        c[0].append(name.value)
        return c[0]

    def attrs_empty(self, c: list) -> list:
        return []

    def attrpath_add(self, c: list) -> list:
        c[0].append(c[2].value)
        return c[0]

    def attrpath_add_string(self, c: list) -> list:
        c[0].append(_static_name(c[2]))
        return c[0]

    def attrpath_first(self, c: list) -> list:
        path = _AttrPath([c[0].value])
        path.start = self.pos(c[0])
        return path

    def attrpath_first_string(self, c: list) -> list:
        path = _AttrPath([_static_name(c[0])])
        path.start = c[0].pos
        return path

    def attr(self, c: list) -> Token:
        return c[0]

    def string_attr_quoted(self, c: list) -> ast.Expr:
        node = c[1]
        node.pos = self.pos(c[0])
        return node

    def string_attr_dynamic(self, c: list) -> ast.Expr:
        node = c[1]
        self.starts[id(node)] = (node, self.pos(c[0]))
        if isinstance(node, ast.String):
            return ast.String(node.value, self.pos(c[0]))
        return _Dynamic(node, self.pos(c[0]))

    # -- lists and formals -----------------------------------------------------

    def list_add(self, c: list) -> list:
        c[0].append(c[1])
        return c[0]

    def list_empty(self, c: list) -> list:
        return []

    def formals_add(self, c: list) -> tuple[list[ast.Formal], bool]:
        formals, ellipsis = c[2]
        formals.append(c[0])
        return formals, ellipsis

    def formals_one(self, c: list) -> tuple[list[ast.Formal], bool]:
        return [c[0]], False

    def formals_empty(self, c: list) -> tuple[list[ast.Formal], bool]:
        return [], False

    def formals_ellipsis(self, c: list) -> tuple[list[ast.Formal], bool]:
        return [], True

    def formal(self, c: list) -> ast.Formal:
        return ast.Formal(c[0].value, None, self.pos(c[0]))

    def formal_default(self, c: list) -> ast.Formal:
        return ast.Formal(c[0].value, c[2], self.pos(c[0]))

    def start(self, c: list) -> ast.Expr:
        return c[0]


class _AttrPath(list):
    """An attribute path that remembers where it starts (the position of its binding)."""

    start: Pos | None = None


class _Dynamic:
    """Marker for a ``${e}`` attribute name while the path is being built."""

    __slots__ = ("expr", "pos")

    def __init__(self, expr: ast.Expr, pos: Pos) -> None:
        self.expr = expr
        self.pos = pos


def _static_name(node: Any) -> ast.AttrName:
    """A string-literal attribute name is static; anything else stays an expression."""
    if isinstance(node, ast.String):
        return node.value
    if isinstance(node, _Dynamic):
        return node.expr
    return node


def _show_path(path: list[ast.AttrName]) -> str:
    from .printer import show_attr_path

    return show_attr_path(path)


def _dup_attr(name: str, pos: Pos | None, previous: Pos | None) -> None:
    where = _show_pos_in_message(previous)
    raise ParseError(f"attribute '{name}' already defined at {where}", pos)


def _show_pos_in_message(pos: Pos | None) -> str:
    """Positions inside Nix's messages name non-file sources ``(string)``."""
    if pos is None:
        return "undefined position"
    file = "(string)" if pos.file in ("«string»", "«stdin»") else pos.file
    return f"{file}:{pos.line}:{pos.column}"


_LOCK = threading.Lock()
_BUILDER = _Builder()
_PARSER: Lark | None = None


def _parser() -> Lark:
    global _PARSER
    if _PARSER is None:
        _PARSER = Lark(GRAMMAR_FILE.read_text(), parser="lalr", lexer=_TokenStream,
                       transformer=_BUILDER, maybe_placeholders=False, cache=True)
    return _PARSER


# Terminals in the order of bison's symbol numbers for Nix 2.8's parser.y (declared
# tokens, then operators from the precedence declarations, then the character
# literals as the grammar first uses them).
_BISON_ORDER = {t: i for i, t in enumerate([
    "$END", "ID", "STR", "IND_STR", "IND_STR_LIT", "INT", "FLOAT", "PATH", "HPATH", "SPATH", "PATH_END", "URI",
    "IF", "THEN", "ELSE", "ASSERT", "WITH", "LET", "IN", "REC", "INHERIT", "EQ", "NEQ", "AND", "OR", "IMPL",
    "OR_KW", "DOLLAR_CURLY", "IND_STRING_OPEN", "IND_STRING_CLOSE", "ELLIPSIS", "LT", "GT", "LEQ", "GEQ",
    "UPDATE", "PLUS", "MINUS", "STAR", "SLASH", "CONCAT", "QUESTION", "COLON", "LBRACE", "FORMALS_LBRACE",
    "RBRACE", "AT", "SEMI", "BANG", "DOT", "DQUOTE", "LPAR", "RPAR", "LSQB", "RSQB", "EQUAL", "COMMA"])}
# Our token kinds that are one token for bison.
_EXPECTED_NAMES = {"$END": "end of file", "IND_STR_LIT": "IND_STR"}


def _syntax_error(err: UnexpectedToken, lexer: Lexer, list_expected: bool = True) -> ParseError:
    tok = err.token
    if tok.type == "$END":
        pos = Pos(lexer.file, lexer.last_line, lexer.last_col)
        unexpected = "end of file"
    else:
        pos = Pos(lexer.file, tok.line, tok.column)
        unexpected = _display(tok)
    # Bison lists what the state it stops in (after its default reductions)
    # expects, in the order of its token numbers.
    state = err.state
    if state is None:
        terminals = set(err.expected)
    elif state.state_stack[-1] == state.parse_conf.end_state:
        terminals = {"$END"}
    else:
        terminals = {t for t in state.parse_conf.states[state.state_stack[-1]] if t.isupper()}
    names = {_EXPECTED_NAMES.get(t, DISPLAY_NAMES.get(t, t)): _BISON_ORDER.get(t, len(_BISON_ORDER))
             for t in terminals}
    expected = sorted(names, key=lambda n: (names[n], n))
    message = f"syntax error, unexpected {unexpected}"
    if list_expected and 0 < len(expected) <= 4:
        message += ", expecting " + " or ".join(expected)
    return ParseError(message, pos)


# Bison's %nonassoc levels: their operators after a complete comparison of the
# same level hit an explicit error entry, with no default reduction first.
_NONASSOC = {"eq": {"EQ", "NEQ"}, "cmp": {"LT", "GT", "LEQ", "GEQ"}}


def _default_reductions(state: Any, consistent_only: bool, token_type: str = "") -> bool:
    """Reduce as bison does before it reports an error, which Lark does not.

    Bison reduces without reading the next token in a state whose only action is
    a reduction; when the next token cannot be read at all (the lexer fails)
    that is as far as Nix gets (``consistent_only``).  On a token it cannot
    shift, bison also takes each state's default reduction (its most common
    one).  Either way Nix runs semantic actions that can fail first (duplicate
    attributes or formals, dynamic ``inherit`` or ``let`` attributes).
    Returns True when it stopped at a %nonassoc error (``a == b == c``).
    """
    states, callbacks = state.parse_conf.states, state.parse_conf.callbacks
    state_stack, value_stack = state.state_stack, state.value_stack
    for _ in range(100_000):
        actions = [a for term, a in states[state_stack[-1]].items() if term.isupper()]
        reductions = [arg for action, arg in actions if action is Reduce]
        if not reductions:
            return False
        rule = max(reductions, key=reductions.count)
        if consistent_only and (len(reductions) < len(actions) or any(r != rule for r in reductions)):
            return False
        size = len(rule.expansion)
        if size == 3 and token_type in _NONASSOC.get(rule.origin.name, ()):
            return True
        goto = states[state_stack[-1 - size]].get(rule.origin.name)
        if goto is None:
            return False
        children = value_stack[-size:] if size else []
        if size:
            del state_stack[-size:]
            del value_stack[-size:]
        value_stack.append(callbacks[rule](children))
        state_stack.append(goto[1])
    return False


class _FastTables:
    """Lark's LALR tables flattened for :func:`_fast_parse`.

    Lark's own driver is general (interactive parsing, error recovery hooks);
    for well-formed input a plain loop over the same tables and the same
    semantic actions does the same reductions in the same order, about twice
    as fast.  Anything unusual (an error, a lexical error token, the ``{ }``
    ambiguity) goes back to Lark's driver, whose result is authoritative.
    """

    def __init__(self, lark: Lark) -> None:
        inner = lark.parser.parser.parser
        table = inner.parse_table
        self.start = table.start_states["start"]
        self.end = table.end_states["start"]
        self.actions: dict[int, dict[str, tuple[bool, Any]]] = {}
        self.gotos: dict[int, dict[str, int]] = {}
        for state, entries in table.states.items():
            actions: dict[str, tuple[bool, Any]] = {}
            gotos: dict[str, int] = {}
            for symbol, (action, arg) in entries.items():
                if action is Reduce:
                    size = len(arg.expansion)
                    # `?rule` with one child hands the child through: no callback needed.
                    callback = None if size == 1 and arg.options.expand1 and not arg.alias else inner.callbacks[arg]
                    actions[symbol] = (False, (callback, size, arg.origin.name))
                elif symbol.isupper() or symbol == "$END":
                    actions[symbol] = (True, arg)
                else:
                    gotos[symbol] = arg
            self.actions[state] = actions
            self.gotos[state] = gotos

    def accepts(self, states: list[int], token_type: str) -> bool:
        """Whether ``token_type`` is shifted (after reductions) from this stack."""
        stack = list(states)
        while True:
            action = self.actions[stack[-1]].get(token_type)
            if action is None:
                return False
            if action[0]:
                return True
            _, size, origin = action[1]
            if size:
                del stack[-size:]
            stack.append(self.gotos[stack[-1]][origin])
            if token_type == "$END" and stack[-1] == self.end:
                return True


_FAST: _FastTables | None = None
_END = Token("$END", "")


def _fast_parse(tables: _FastTables, tokens: list[Token]) -> ast.Expr | None:
    """Parse well-formed input; None means "not sure, ask Lark's driver"."""
    actions, gotos, end = tables.actions, tables.gotos, tables.end
    states = [tables.start]
    values: list[Any] = []
    previous = ""
    for i, tok in enumerate([*tokens, _END]):
        ttype = tok.type
        if ttype == "LEXERROR" or (previous == "RBRACE" and _after_empty_braces(tokens, i)
                                   and not tables.accepts(states, ttype)):
            return None
        previous = ttype
        while True:
            action = actions[states[-1]].get(ttype)
            if action is None:
                return None
            if action[0]:
                states.append(action[1])
                values.append(tok)
                break
            callback, size, origin = action[1]
            if callback is None:
                states[-1] = gotos[states[-2]][origin]
                if ttype == "$END" and states[-1] == end:
                    return values[-1]
                continue
            if size:
                children = values[-size:]
                del values[-size:]
                del states[-size:]
            else:
                children = []
            values.append(callback(children))
            states.append(gotos[states[-1]][origin])
            if ttype == "$END" and states[-1] == end:
                return values[-1]
    return None


def parse(source: Source, check_scopes: bool = True) -> ast.Expr:
    """Parse ``source`` into an AST; raise :class:`ParseError` as Nix would reject it."""
    global _FAST
    lexer = Lexer(source)
    tokens = lexer.tokens(deferred_errors=True)
    with _LOCK:
        parser = _parser()
        if _FAST is None:
            _FAST = _FastTables(parser)
        _BUILDER.file, _BUILDER.base_dir = source.file, source.base_dir
        try:
            expr = _fast_parse(_FAST, tokens)
        except Exception:
            expr = None
        finally:
            _BUILDER.starts.clear()
            _BUILDER.inherits.clear()
        if expr is None:
            expr = _slow_parse(parser, lexer, tokens)
    if check_scopes:
        bind_vars(expr)
    return expr


@contextmanager
def _semantic_errors() -> Iterator[None]:
    """Semantic actions raise ParseError; Lark may hand it over wrapped in a VisitError."""
    try:
        yield
    except VisitError as err:
        if isinstance(err.orig_exc, ParseError):
            raise err.orig_exc from None
        raise


def _slow_parse(parser: Lark, lexer: Lexer, tokens: list[Token]) -> ast.Expr:
    """Lark's driver, with bison's error behaviour reproduced around it."""
    try:
        with _semantic_errors():
            return parser.parse(_Tokens(tokens, Pos(lexer.file, lexer.last_line, lexer.last_col)))
    except UnexpectedToken as err:
        with _semantic_errors():
            nonassoc = _default_reductions(err.state, err.token.type == "LEXERROR", err.token.type)
        if err.token.type == "LEXERROR":
            raise err.token.value from None
        raise _syntax_error(err, lexer, list_expected=not nonassoc) from None
    finally:
        _BUILDER.starts.clear()
        _BUILDER.inherits.clear()


def read_source_file(path: str) -> Source:
    """A file as Nix reads it: bytes as latin-1 text, positions named by the path;
    a directory stands for its ``default.nix``."""
    absolute = os.path.abspath(path)
    if not os.path.lexists(absolute):
        raise NixprocError(f"getting status of '{absolute}': {os.strerror(errno.ENOENT)}")
    if os.path.isdir(absolute):
        absolute = os.path.join(absolute, "default.nix")
    try:
        with open(absolute, "rb") as f:
            text = f.read().decode("latin-1")
    except OSError as err:
        raise NixprocError(f"opening file '{absolute}': {os.strerror(err.errno or 0)}") from None
    return Source(text, absolute, os.path.dirname(absolute))


def parse_file(path: str) -> ast.Expr:
    return parse(read_source_file(path))


def parse_string(text: str, base_dir: str | None = None, file: str = "«string»") -> ast.Expr:
    return parse(Source(text, file, base_dir or os.getcwd()))
