"""The lazy evaluator: AST + environment -> value, with Nix 2.8's semantics.

One :class:`Evaluator` is one evaluation session (Nix's ``EvalState``): the
base environment with the builtins, the search path, the import cache and
the store settings.  Expressions become values only when forced; every
binding is a thunk that is evaluated at most once (call-by-need), and a thunk
that is re-entered while being evaluated is infinite recursion.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ...deep import STACK_OVERFLOW
from ...errors import AssertionFailedError, EvalError, NixError, Pos, ThrownError, is_ours
from ...store.paths import DEFAULT_STORE_DIR
from .. import ast
from ..lexer import Source
from ..parser import parse, read_source_file
from ..printer import show
from ..scope import GLOBAL_NAMES, StaticEnv, base_env
from .coerce import coerce_to_string, values_equal
from .env import Env
from .values import (
    BLACKHOLE, UNEVALUATED, Apply, Attrs, Closure, CStr, NixPath, PrimOp, PrimOpApp, Thunk, context_of,
    make_string, show_type, wrap_int,
)

if TYPE_CHECKING:
    from ...store.store import Store

# Expressions whose value needs no thunk: evaluating them is as cheap as wrapping.
_LITERALS = (ast.Int, ast.Float, ast.String, ast.Path)


class Evaluator:
    """An evaluation session: builtins, search path, import cache, store settings.

    Without a ``store`` evaluation only computes store paths, like
    ``nix-instantiate --eval --readonly-mode``.  With one, it writes what it
    instantiates as ``nix-instantiate`` does: ``.drv`` files, sources used in
    strings, ``builtins.path``/``filterSource`` copies and ``toFile`` files,
    so the derivations can then be built; ``store_dir`` is then the store's.
    """

    def __init__(self, search_path: Iterable[tuple[str, str]] = (), store_dir: str | None = None,
                 system: str | None = None, pure: bool = False, store: Store | None = None) -> None:
        if store is not None and store_dir not in (None, store.store_dir):
            raise ValueError(f"store directory '{store_dir}' is not the store's '{store.store_dir}'")
        self.store = store
        self.store_dir = store.store_dir if store is not None else store_dir or DEFAULT_STORE_DIR
        self.system = system or default_system()
        self.pure = pure
        self.search_path: list[tuple[str, str]] = list(search_path)
        self.file_cache: dict[str, Any] = {}
        self.parse_cache: dict[str, ast.Expr] = {}
        self.store_path_cache: dict[str, str] = {}
        # Sets whose missing attributes get a better message (native.explain_missing), by id; the set is kept alive.
        self.missing_attribute_hints: dict[int, tuple[Attrs, Callable[[str], str]]] = {}
        from ..builtins import make_builtins

        self.builtins: Attrs = make_builtins(self)
        self.base_env = Env([self.builtins.get(n[2:] if n.startswith("__") else n) for n in GLOBAL_NAMES], None)
        self._fix_base_env()
        self.static_env: StaticEnv = base_env()
        self.trace_stack: list[tuple[str, Pos | None]] = []

    def _fix_base_env(self) -> None:
        """Names in the base environment that are not plain builtins attributes."""
        b = self.builtins
        for i, name in enumerate(GLOBAL_NAMES):
            if name in ("true", "false", "null"):
                self.base_env.vars[i] = {"true": True, "false": False, "null": None}[name]
            elif name == "builtins":
                self.base_env.vars[i] = b
            elif name.startswith("__") and name[2:] in b:
                self.base_env.vars[i] = b[name[2:]]
            elif name in b:
                self.base_env.vars[i] = b[name]

    # -- entry points --------------------------------------------------------

    def eval_source(self, source: Source) -> Any:
        return self.force(self.eval(parse(source), self.base_env))

    def eval_string(self, text: str, base_dir: str | None = None) -> Any:
        return self.eval_source(Source(text, "«string»", base_dir or os.getcwd()))

    def eval_file(self, path: str) -> Any:
        """``import path``: evaluate a file once per session (a directory means its default.nix)."""
        if path.startswith(self.store_dir + "/"):
            path = self.source_of_store_path(path)
        if not os.path.lexists(path):
            raise EvalError(f"getting status of '{path}': No such file or directory")
        path = resolve_expr_path(path)
        cached = self.file_cache.get(path)
        if cached is None:
            expr = self.parse_file(path)
            cached = Thunk(expr, self.base_env)
            self.file_cache[path] = cached
        return self.force(cached)

    def source_of_store_path(self, path: str) -> str:
        """A path inside a source this session copied to the store, read from the source itself.

        ``import "${./dir}/file.nix"`` then works without writing the store,
        and evaluates the same file (same import cache entry, same provided
        native files) whether or not the copy was really made.
        """
        end = path.find("/", len(self.store_dir) + 1)
        root = path if end < 0 else path[:end]
        for source, stored in self.store_path_cache.items():
            if stored == root:
                return source + path[len(root):]
        return path

    def parse_file(self, path: str) -> ast.Expr:
        expr = self.parse_cache.get(path)
        if expr is None:
            try:
                source = read_source_file(path)
            except OSError as err:
                raise EvalError(f"getting status of '{path}': {err.strerror}") from None
            expr = parse(source)
            self.parse_cache[path] = expr
        return expr

    # -- forcing -------------------------------------------------------------

    def force(self, v: Any, pos: Pos | None = None) -> Any:
        """Evaluate a thunk to weak head normal form (values pass through)."""
        t = type(v)
        if t not in UNEVALUATED:
            return v
        if t is Thunk:
            if v.value is not BLACKHOLE:
                return v.value
            expr = v.expr
            if expr is None:
                raise EvalError("infinite recursion encountered", pos)
            v.expr = None
            try:
                result = self.eval(expr, v.env)
            except BaseException:
                v.expr = expr
                raise
            v.value = result
            v.env = None
            return result
        # Apply and Lazy: the pending work sits in one slot, emptied while it runs.
        if v.value is not BLACKHOLE:
            return v.value
        pending = v.pending
        if pending is None:
            raise EvalError("infinite recursion encountered", pos)
        v.pending = None
        try:
            if t is Apply:
                result = self.call(self.force(pending[0]), pending[1], v.pos or pos)
            else:
                result = self.force(pending(), pos)
        except BaseException as err:
            v.pending = pending
            if isinstance(err, EvalError) and err.pos is None:
                err.pos = pos  # a value computed in Python (a package of ``pkgs``): where it was used
            raise
        v.value = result
        return result

    def force_deep(self, v: Any, pos: Pos | None = None) -> Any:
        """Force a value and everything inside it (``deepSeq``, ``--strict``)."""
        seen: set[int] = set()
        stack = [v]
        first = self.force(v, pos)
        while stack:
            item = self.force(stack.pop(), pos)
            t = type(item)
            if t is Attrs or t is list:
                if id(item) in seen:
                    continue
                seen.add(id(item))
                if t is Attrs:
                    for name, child in item.items():
                        try:
                            self.force(child, pos)
                        except EvalError as err:
                            err.trace.append((f"while evaluating the attribute '{name}'",
                                              item.positions.get(name) if item.positions else None))
                            raise
                        stack.append(child)
                else:
                    stack.extend(reversed(item))
        return first

    def thunk(self, e: ast.Expr, env: Env) -> Any:
        """A lazy value for ``e`` in ``env``; literals and variables need no thunk."""
        t = type(e)
        if t in _LITERALS:
            return self.eval(e, env)
        if t is ast.Var and not e.from_with:
            frame = env
            for _ in range(e.level):
                frame = frame.up
            value = frame.vars[e.index]
            if value is not BLACKHOLE:  # a slot of a let/rec still being filled
                return value
        return Thunk(e, env)

    # -- typed forcing helpers (Nix's forceInt, forceAttrs, ...) ---------------

    def force_typed(self, v: Any, expected: type, what: str, pos: Pos | None = None) -> Any:
        """Force ``v`` and insist on one Python type; ``what`` names it in Nix's message."""
        v = self.force(v, pos)
        if type(v) is not expected:
            raise EvalError(f"value is {show_type(v)} while {what} was expected", pos)
        return v

    def force_attrs(self, v: Any, pos: Pos | None = None) -> Attrs:
        return self.force_typed(v, Attrs, "a set", pos)

    def force_list(self, v: Any, pos: Pos | None = None) -> list:
        return self.force_typed(v, list, "a list", pos)

    def force_int(self, v: Any, pos: Pos | None = None) -> int:
        return self.force_typed(v, int, "an integer", pos)

    def force_float(self, v: Any, pos: Pos | None = None) -> float:
        """A number as a float (Nix's forceFloat accepts integers)."""
        v = self.force(v, pos)
        if type(v) is int:
            return float(v)
        if type(v) is not float:
            raise EvalError(f"value is {show_type(v)} while a float was expected", pos)
        return v

    def force_bool(self, v: Any, pos: Pos | None = None) -> bool:
        return self.force_typed(v, bool, "a Boolean", pos)

    def force_function(self, v: Any, pos: Pos | None = None) -> Any:
        v = self.force(v, pos)
        if type(v) not in (Closure, PrimOp, PrimOpApp) and not (type(v) is Attrs and "__functor" in v):
            raise EvalError(f"value is {show_type(v)} while a function was expected", pos)
        return v

    def force_string(self, v: Any, pos: Pos | None = None) -> str:
        """A string value, context kept (Nix's forceString)."""
        v = self.force(v, pos)
        if type(v) is not str and type(v) is not CStr:
            raise EvalError(f"value is {show_type(v)} while a string was expected", pos)
        return v

    def force_string_no_context(self, v: Any, pos: Pos | None = None) -> str:
        s = self.force_string(v, pos)
        if type(s) is CStr and s.context:
            raise EvalError(f"the string '{s}' is not allowed to refer to a store path "
                            f"(such as '{sorted(s.context)[0].lstrip('=')}')", pos)
        return str(s)

    def coerce_to_string(self, v: Any, pos: Pos | None = None, context: set[str] | None = None,
                         coerce_more: bool = False, copy_to_store: bool = True) -> str:
        return coerce_to_string(self, v, pos, context, coerce_more, copy_to_store)

    def coerce_to_path(self, v: Any, pos: Pos | None = None, context: set[str] | None = None) -> str:
        """A value as an absolute path string (Nix's coerceToPath)."""
        path = self.coerce_to_string(v, pos, context, copy_to_store=False)
        if not path.startswith("/"):
            raise EvalError(f"string '{path}' doesn't represent an absolute path", pos)
        return str(path)

    def equal(self, a: Any, b: Any, pos: Pos | None = None) -> bool:
        return values_equal(self, a, b, pos)

    # -- evaluation ------------------------------------------------------------

    def eval(self, e: ast.Expr, env: Env) -> Any:
        """The value of ``e`` in ``env``, always in weak head normal form (never a thunk)."""
        return _EVAL[type(e)](self, e, env)

    def lookup_var(self, e: ast.Var, env: Env) -> Any:
        frame = env
        level = e.level
        while level:
            frame = frame.up
            level -= 1
        if not e.from_with:
            value = frame.vars[e.index]
            return self.force(value, e.pos) if type(value) in UNEVALUATED else value
        while frame is not None:
            if frame.with_attrs is not None:
                attrs = self.force_attrs(frame.with_attrs, e.pos)
                if e.name in attrs:
                    return self.force(attrs[e.name], e.pos)
            frame = frame.up
        raise EvalError(f"undefined variable '{e.name}'", e.pos)

    def attr_name(self, name: ast.AttrName, env: Env) -> str | None:
        """A static name, or the string a dynamic ``${...}`` name evaluates to (null: skip)."""
        if type(name) is str:
            return name
        value = self.force(self.eval(name, env), name.pos)
        if value is None:
            return None
        return self.force_string_no_context(value, name.pos)

    # -- function calls ----------------------------------------------------------

    def call(self, fn: Any, arg: Any, pos: Pos | None = None) -> Any:
        """Apply a (forced) function value to one lazy argument."""
        t = type(fn)
        if t is Closure:
            return self._call_closure(fn, arg, pos)
        if t is PrimOp:
            if fn.arity == 1:
                return fn.fn(self, pos, arg)
            return PrimOpApp(fn, (arg,))
        if t is PrimOpApp:
            args = fn.args + (arg,)
            primop = fn.primop
            if len(args) == primop.arity:
                return primop.fn(self, pos, *args)
            return PrimOpApp(primop, args)
        if t is Attrs and "__functor" in fn:
            functor = self.force(fn["__functor"], pos)
            return self.call(self.force(self.call(functor, fn, pos), pos), arg, pos)
        raise EvalError(f"attempt to call something which is not a function but {show_type(fn)}", pos)

    def call_n(self, fn: Any, args: Iterable[Any], pos: Pos | None = None) -> Any:
        for arg in args:
            fn = self.force(self.call(self.force(fn, pos), arg, pos), pos)
        return fn

    def _call_closure(self, fn: Closure, arg: Any, pos: Pos | None) -> Any:
        lam = fn.expr
        formals = lam.formals
        if formals is None:
            try:
                return self.eval(lam.body, Env([arg], fn.env))
            except RecursionError:
                raise EvalError(STACK_OVERFLOW, lam.pos) from None
        attrs = self.force(arg, pos)
        if type(attrs) is not Attrs:
            raise EvalError(f"value is {show_type(attrs)} while a set was expected", pos)
        offset = 1 if lam.arg is not None else 0
        slots: list[Any] = [BLACKHOLE] * (offset + len(formals.formals))
        if offset:
            slots[0] = arg
        env = Env(slots, fn.env)
        used = 0
        for i, formal in enumerate(formals.formals, offset):
            value = attrs.get(formal.name, BLACKHOLE)
            if value is not BLACKHOLE:
                used += 1
                slots[i] = value
        for i, formal in enumerate(formals.formals, offset):
            if slots[i] is BLACKHOLE:
                if formal.default is None:
                    raise EvalError(f"{_function_name(lam)} called without required argument "
                                    f"'{formal.name}'", pos)
                slots[i] = Thunk(formal.default, env)
        if not formals.ellipsis and used != len(attrs):
            known = {f.name for f in formals.formals}
            for name in sorted(attrs):
                if name not in known:
                    raise EvalError(f"{_function_name(lam)} called with unexpected argument '{name}'", pos)
        try:
            return self.eval(lam.body, env)
        except EvalError as err:
            err.trace.append((f"while evaluating {_function_label(lam)}", lam.pos))
            if err.attribute and err.attribute[0] in attrs and (err.pos is None or is_ours(err.pos)):
                located = _attribute_pos(attrs, err.attribute)
                if located is not None and not is_ours(located):
                    err.pos, err.attribute = located, ()
            raise
        except RecursionError:
            # Out of stack: a function that keeps calling itself is the likeliest culprit.
            raise EvalError(STACK_OVERFLOW, lam.pos) from None

    # -- store interaction -------------------------------------------------------

    def copy_path_to_store(self, path: str, pos: Pos | None = None) -> str:
        """The store path a source path gets when used in a string (Nix copies it)."""
        cached = self.store_path_cache.get(path)
        if cached is None:
            from ..builtins.paths import add_source

            cached = add_source(self, pos, path)
            self.store_path_cache[path] = cached
        return cached

    def find_file(self, path: str, pos: Pos | None = None) -> str:
        """Resolve ``<path>`` against the search path (``-I``, ``NIX_PATH``)."""
        for prefix, target in self.search_path:
            if not prefix:
                candidate = f"{target}/{path}"
            else:
                if not (path == prefix or path.startswith(prefix + "/")):
                    continue
                candidate = target + path[len(prefix):]
            if os.path.exists(candidate):
                from ..parser import canon_path

                return canon_path(os.path.abspath(candidate))
        # A real nixpkgs or nix-processmgmt on the search path wins; otherwise
        # <nixpkgs>, <nixpkgs/lib> and <nix-processmgmt> are ours (builtins.nixPath stays Nix's).
        from ...framework import framework_file
        from ...pkgs import nixpkgs_file

        ours = nixpkgs_file(self, path) or framework_file(path)
        if ours is not None:
            from ..parser import canon_path

            return canon_path(ours)
        raise ThrownError(f"file '{path}' was not found in the Nix search path "
                        f"(add it using $NIX_PATH or -I)", pos)


def _attribute_pos(attrs: Attrs, path: tuple[str, ...]) -> Pos | None:
    """Where the innermost attribute of ``path`` in ``attrs`` was defined, following only evaluated sets."""
    found = None
    for name in path:
        if attrs.positions is None or name not in attrs:
            break
        found = attrs.positions.get(name) or found
        value = attrs[name]
        if type(value) in UNEVALUATED:
            value = value.value
        if type(value) is not Attrs:
            break
        attrs = value
    return found


def _function_label(lam: ast.Lambda) -> str:
    return f"'{lam.name}'" if lam.name else "anonymous function"


def _function_name(lam: ast.Lambda) -> str:
    """How Nix names a lambda in messages: ``'f' at POS`` or ``anonymous function at POS``."""
    from ..parser import _show_pos_in_message

    return f"{_function_label(lam)} at {_show_pos_in_message(lam.pos)}"


def default_system() -> str:
    machine = os.uname().machine
    kernel = os.uname().sysname.lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    return f"{machine}-{kernel}"


def resolve_expr_path(path: str) -> str:
    """Follow symlinks of the file itself and map a directory to its default.nix."""
    from ..parser import canon_path

    seen = 0
    while os.path.islink(path):
        seen += 1
        if seen > 1024:
            raise EvalError(f"too many symbolic links encountered while traversing the path '{path}'")
        path = canon_path(os.path.join(os.path.dirname(path), os.readlink(path)))
    if os.path.isdir(path):
        path = canon_path(path + "/default.nix")
    return path


def parse_search_path(entries: Iterable[str]) -> list[tuple[str, str]]:
    """``-I``/``NIX_PATH`` entries (``prefix=path`` or ``path``) as (prefix, path) pairs."""
    result = []
    for entry in entries:
        if not entry:
            continue
        prefix, sep, path = entry.partition("=")
        result.append((prefix, path) if sep else ("", entry))
    return result


# ---------------------------------------------------------------------------
# One function per AST node type.

def _eval_literal(ev: Evaluator, e: Any, env: Env) -> Any:
    return e.value


def _eval_path(ev: Evaluator, e: ast.Path, env: Env) -> Any:
    return NixPath(e.value)


def _eval_select(ev: Evaluator, e: ast.Select, env: Env) -> Any:
    value = ev.eval(e.expr, env)
    for name_expr in e.path:
        name = ev.attr_name(name_expr, env)
        value = ev.force(value, e.pos)
        if e.default is not None:
            if type(value) is not Attrs or name not in value:
                return ev.eval(e.default, env)
        else:
            if type(value) is not Attrs:
                raise EvalError(f"value is {show_type(value)} while a set was expected", e.pos)
            if name not in value:
                hint = ev.missing_attribute_hints.get(id(value))
                raise EvalError(hint[1](name) if hint else f"attribute '{name}' missing", e.pos)
        value = value[name]
    return ev.force(value, e.pos)


def _eval_has_attr(ev: Evaluator, e: ast.HasAttr, env: Env) -> bool:
    value = ev.eval(e.expr, env)
    for name_expr in e.path:
        value = ev.force(value, e.pos)
        name = ev.attr_name(name_expr, env)
        if type(value) is not Attrs or name not in value:
            return False
        value = value[name]
    return True


def _eval_attrs(ev: Evaluator, e: ast.Attrs, env: Env) -> Attrs:
    positions: dict[str, Pos | None] = {}
    if e.recursive:
        slots: list[Any] = [BLACKHOLE] * len(e.attrs)
        inner = Env(slots, env)
        result = Attrs(positions=positions)
        for name, attr in e.attrs.items():
            value = ev.thunk(attr.expr, env if attr.inherited else inner)
            slots[attr.index] = value
            result[name] = value
            positions[name] = attr.pos
        if "__overrides" in result:
            _apply_overrides(ev, result, slots, e)
        dyn_env = inner
    else:
        result = Attrs(positions=positions)
        for name, attr in e.attrs.items():
            result[name] = ev.thunk(attr.expr, env)
            positions[name] = attr.pos
        dyn_env = env
    for dyn in e.dynamic:
        name = ev.attr_name(dyn.name, dyn_env)
        if name is None:
            continue
        if name in result:
            from ..parser import _show_pos_in_message

            raise EvalError(f"dynamic attribute '{name}' already defined at "
                            f"{_show_pos_in_message(positions.get(name))}", dyn.pos)
        result[name] = ev.thunk(dyn.value, dyn_env)
        positions[name] = dyn.pos
    return result


def _apply_overrides(ev: Evaluator, result: Attrs, slots: list[Any], e: ast.Attrs) -> None:
    """``rec { __overrides = {...}; }``: the overrides replace attributes, also for self-references."""
    overrides = ev.force_attrs(result["__overrides"])
    for name, value in overrides.items():
        if name in e.attrs:
            slots[e.attrs[name].index] = value
        result[name] = value


def _eval_list(ev: Evaluator, e: ast.List, env: Env) -> list:
    return [ev.thunk(x, env) for x in e.elems]


def _eval_lambda(ev: Evaluator, e: ast.Lambda, env: Env) -> Closure:
    return Closure(e, env)


def _eval_call(ev: Evaluator, e: ast.Call, env: Env) -> Any:
    fn = ev.eval(e.fun, env)
    args = e.args
    if type(fn) is PrimOp and fn.arity == len(args):
        # Saturated builtin call (all operators but + are these): no partial applications.
        return ev.force(fn.fn(ev, e.pos, *[ev.thunk(arg, env) for arg in args]), e.pos)
    for arg in args:
        fn = ev.force(ev.call(ev.force(fn, e.pos), ev.thunk(arg, env), e.pos), e.pos)
    return fn


def _eval_let(ev: Evaluator, e: ast.Let, env: Env) -> Any:
    slots: list[Any] = [BLACKHOLE] * len(e.attrs.attrs)
    inner = Env(slots, env)
    for attr in e.attrs.attrs.values():
        slots[attr.index] = ev.thunk(attr.expr, env if attr.inherited else inner)
    return ev.eval(e.body, inner)


def _eval_with(ev: Evaluator, e: ast.With, env: Env) -> Any:
    return ev.eval(e.body, Env([], env, ev.thunk(e.attrs, env)))


def _eval_if(ev: Evaluator, e: ast.If, env: Env) -> Any:
    cond = ev.eval(e.cond, env)
    if type(cond) is not bool:
        raise EvalError(f"value is {show_type(cond)} while a Boolean was expected", e.cond.pos or e.pos)
    return ev.eval(e.then if cond else e.else_, env)


def _eval_assert(ev: Evaluator, e: ast.Assert, env: Env) -> Any:
    if not ev.force_bool(ev.eval(e.cond, env), e.pos):
        raise AssertionFailedError(f"assertion '{show(e.cond)}' failed", e.pos)
    return ev.eval(e.body, env)


def _eval_not(ev: Evaluator, e: ast.Not, env: Env) -> bool:
    return not ev.force_bool(ev.eval(e.expr, env), e.pos)


def _binop_eq(ev: Evaluator, e: ast.BinOp, env: Env) -> bool:
    return ev.equal(ev.eval(e.left, env), ev.eval(e.right, env), e.pos)


def _binop_neq(ev: Evaluator, e: ast.BinOp, env: Env) -> bool:
    return not ev.equal(ev.eval(e.left, env), ev.eval(e.right, env), e.pos)


def _binop_and(ev: Evaluator, e: ast.BinOp, env: Env) -> bool:
    return ev.force_bool(ev.eval(e.left, env), e.pos) and ev.force_bool(ev.eval(e.right, env), e.pos)


def _binop_or(ev: Evaluator, e: ast.BinOp, env: Env) -> bool:
    return ev.force_bool(ev.eval(e.left, env), e.pos) or ev.force_bool(ev.eval(e.right, env), e.pos)


def _binop_impl(ev: Evaluator, e: ast.BinOp, env: Env) -> bool:
    return not ev.force_bool(ev.eval(e.left, env), e.pos) or ev.force_bool(ev.eval(e.right, env), e.pos)


def _binop_update(ev: Evaluator, e: ast.BinOp, env: Env) -> Attrs:
    left = ev.force_attrs(ev.eval(e.left, env), e.pos)
    right = ev.force_attrs(ev.eval(e.right, env), e.pos)
    return update_attrs(left, right)


def update_attrs(left: Attrs, right: Attrs) -> Attrs:
    """``left // right`` (sharing the operand when the other side is empty, as Nix does)."""
    if not left:
        return right
    if not right:
        return left
    result = Attrs(left, positions=dict(left.positions or {}))
    result.update(right)
    if right.positions:
        result.positions.update(right.positions)
    return result


def _binop_concat(ev: Evaluator, e: ast.BinOp, env: Env) -> list:
    # Nix evaluates both operands before it checks either is a list.
    left_value = ev.force(ev.eval(e.left, env), e.pos)
    right_value = ev.force(ev.eval(e.right, env), e.pos)
    left = ev.force_list(left_value, e.pos)
    right = ev.force_list(right_value, e.pos)
    if not left:
        return right
    if not right:
        return left
    return left + right


_BINOPS: dict[str, Callable[[Evaluator, ast.BinOp, Env], Any]] = {
    "==": _binop_eq, "!=": _binop_neq, "&&": _binop_and, "||": _binop_or, "->": _binop_impl,
    "//": _binop_update, "++": _binop_concat,
}


def _eval_binop(ev: Evaluator, e: ast.BinOp, env: Env) -> Any:
    return _BINOPS[e.op](ev, e, env)


# What a `+` chain becomes, by the type of its first operand (bool is not int here).
_FIRST_TYPES: dict[type, str] = {int: "int", float: "float", NixPath: "path"}


def _eval_concat_strings(ev: Evaluator, e: ast.ConcatStrings, env: Env) -> Any:
    """``+`` and interpolation: numbers add, a leading path makes a path, else a string."""
    if e.force_string or len(e.parts) != 2:
        return _concat(ev, e, env, [])
    # `a + b` of two integers or two context-free strings, the common cases.
    left_expr, right_expr = e.parts
    left = ev.eval(left_expr, env)
    if type(left) is not int and type(left) is not str:
        return _concat(ev, e, env, [left])
    right = ev.eval(right_expr, env)
    if type(right) is type(left):
        return wrap_int(left + right) if type(left) is int else left + right
    return _concat(ev, e, env, [left, right])


def _concat(ev: Evaluator, e: ast.ConcatStrings, env: Env, evaluated: list[Any]) -> Any:
    """The general case; ``evaluated`` holds the values of the leading parts already forced."""
    first = not e.force_string
    first_type = "string"
    n: int | float = 0
    parts: list[str] = []
    context: set[str] = set()
    for i, part in enumerate(e.parts):
        value = evaluated[i] if i < len(evaluated) else ev.eval(part, env)
        t = type(value)
        if first:
            first_type = _FIRST_TYPES.get(t, "string")
        if first_type == "int":
            if t is int:
                n = wrap_int(n + value)
            elif t is float:
                first_type = "float"
                n = float(n) + value
            else:
                raise EvalError(f"cannot add {show_type(value)} to an integer", part.pos)
        elif first_type == "float":
            if t is int or t is float:
                n = n + value
            else:
                raise EvalError(f"cannot add {show_type(value)} to a float", part.pos)
        else:
            parts.append(coerce_to_string(ev, value, part.pos, context, False,
                                          copy_to_store=first_type == "string", canonicalize=not first))
        first = False
    if first_type in ("int", "float"):
        return n
    text = "".join(parts)
    if first_type == "path":
        if context:
            raise EvalError("a string that refers to a store path cannot be appended to a path", e.pos)
        from ..parser import canon_path

        return NixPath(canon_path(text))
    return make_string(text, context)


def _eval_cur_pos(ev: Evaluator, e: ast.CurPos, env: Env) -> Any:
    return pos_to_attrs(e.pos)


def pos_to_attrs(pos: Pos | None) -> Any:
    """A position as Nix shows it to programs: ``{ file; line; column; }`` or null."""
    if pos is None:
        return None
    return Attrs({"column": pos.column, "file": pos.file, "line": pos.line})


_EVAL: dict[type, Callable[[Evaluator, Any, Env], Any]] = {
    ast.Var: Evaluator.lookup_var, ast.Int: _eval_literal, ast.Float: _eval_literal, ast.String: _eval_literal,
    ast.Path: _eval_path, ast.Select: _eval_select, ast.HasAttr: _eval_has_attr, ast.Attrs: _eval_attrs,
    ast.List: _eval_list, ast.Lambda: _eval_lambda, ast.Call: _eval_call, ast.Let: _eval_let,
    ast.With: _eval_with, ast.If: _eval_if, ast.Assert: _eval_assert, ast.Not: _eval_not,
    ast.BinOp: _eval_binop, ast.ConcatStrings: _eval_concat_strings, ast.CurPos: _eval_cur_pos,
}

__all__ = ["Evaluator", "NixError", "parse_search_path", "pos_to_attrs", "update_attrs", "context_of"]
