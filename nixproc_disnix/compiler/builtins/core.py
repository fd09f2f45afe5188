"""Core primops: types, control, arithmetic, import, errors, debugging."""
from __future__ import annotations

import math
import os
import sys
from ...errors import AbortError, AssertionFailedError, EvalError, ThrownError
from ..eval.coerce import coerce_to_string, less_than
from ..eval.values import Attrs, Closure, CStr, NixPath, PrimOp, PrimOpApp, make_string, type_name, wrap_int
from . import primop


# -- types ---------------------------------------------------------------------

@primop("typeOf", 1)
def _type_of(ev, pos, v):
    return type_name(ev.force(v, pos))


def _is(kind: str):
    def check(ev, pos, v):
        return type_name(ev.force(v, pos)) == kind

    return check


for _name, _kind in (("isInt", "int"), ("isFloat", "float"), ("isBool", "bool"), ("isString", "string"),
                     ("isPath", "path"), ("isNull", "null"), ("isAttrs", "set"), ("isList", "list"),
                     ("isFunction", "lambda")):
    primop(_name, 1)(_is(_kind))


# -- control -----------------------------------------------------------------

@primop("throw", 1)
def _throw(ev, pos, message):
    raise ThrownError(str(ev.coerce_to_string(message, pos)), pos)


@primop("abort", 1)
def _abort(ev, pos, message):
    raise AbortError(f"evaluation aborted with the following error message: "
                     f"'{ev.coerce_to_string(message, pos)}'", pos)


@primop("seq", 2)
def _seq(ev, pos, a, b):
    ev.force(a, pos)
    return ev.force(b, pos)


@primop("deepSeq", 2)
def _deep_seq(ev, pos, a, b):
    ev.force_deep(a, pos)
    return ev.force(b, pos)


@primop("tryEval", 1)
def _try_eval(ev, pos, v):
    try:
        value = ev.force(v, pos)
    except (ThrownError, AssertionFailedError):
        return Attrs({"success": False, "value": False})
    return Attrs({"success": True, "value": value})


@primop("addErrorContext", 2)
def _add_error_context(ev, pos, message, v):
    try:
        return ev.force(v, pos)
    except EvalError as err:
        err.trace.append((str(ev.coerce_to_string(message, pos)), None))
        raise


@primop("trace", 2)
def _trace(ev, pos, message, v):
    value = ev.force(message, pos)
    from ..eval.printer import print_value

    text = value if type(value) in (str, CStr) else print_value(ev, value)
    sys.stderr.buffer.write(f"trace: {text}\n".encode("latin-1"))
    sys.stderr.flush()
    return ev.force(v, pos)


@primop("getEnv", 1)
def _get_env(ev, pos, name):
    key = ev.force_string_no_context(name, pos)
    return "" if ev.pure else os.environ.get(key, "")


# -- arithmetic and comparison ---------------------------------------------------

def _numbers(ev, pos, a, b):
    """Both operands as floats if either is one, else as integers (Nix's type errors say which)."""
    a = ev.force(a, pos)
    b = ev.force(b, pos)
    if type(a) is float or type(b) is float:
        return ev.force_float(a, pos), ev.force_float(b, pos)
    return ev.force_int(a, pos), ev.force_int(b, pos)


@primop("add", 2)
def _add(ev, pos, a, b):
    a, b = _numbers(ev, pos, a, b)
    return a + b if float in (type(a), type(b)) else wrap_int(a + b)


@primop("sub", 2)
def _sub(ev, pos, a, b):
    a, b = _numbers(ev, pos, a, b)
    return a - b if float in (type(a), type(b)) else wrap_int(a - b)


@primop("mul", 2)
def _mul(ev, pos, a, b):
    a, b = _numbers(ev, pos, a, b)
    return a * b if float in (type(a), type(b)) else wrap_int(a * b)


@primop("div", 2)
def _div(ev, pos, a, b):
    # Nix evaluates both, then checks the divisor as a float before the dividend's type.
    ev.force(a, pos)
    if ev.force_float(b, pos) == 0:
        raise EvalError("division by zero", pos)
    a, b = _numbers(ev, pos, a, b)
    if float in (type(a), type(b)):
        return a / b
    if a == -0x8000000000000000 and b == -1:
        raise EvalError("overflow in integer division", pos)
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b >= 0) else -quotient


@primop("lessThan", 2)
def _less_than(ev, pos, a, b):
    return less_than(ev, a, b, pos)


def _bits(op):
    def fn(ev, pos, a, b):
        return wrap_int(op(ev.force_int(a, pos), ev.force_int(b, pos)))

    return fn


primop("bitAnd", 2)(_bits(lambda a, b: a & b))
primop("bitOr", 2)(_bits(lambda a, b: a | b))
primop("bitXor", 2)(_bits(lambda a, b: a ^ b))


@primop("ceil", 1)
def _ceil(ev, pos, v):
    return wrap_int(math.ceil(ev.force_float(v, pos)))


@primop("floor", 1)
def _floor(ev, pos, v):
    return wrap_int(math.floor(ev.force_float(v, pos)))


# -- strings of values ---------------------------------------------------------

@primop("toString", 1)
def _to_string(ev, pos, v):
    context: set[str] = set()
    text = coerce_to_string(ev, v, pos, context, coerce_more=True, copy_to_store=False)
    return make_string(text, context)


# -- functions -------------------------------------------------------------------

@primop("functionArgs", 1)
def _function_args(ev, pos, f):
    f = ev.force(f, pos)
    if type(f) in (PrimOp, PrimOpApp):
        return Attrs()
    if type(f) is not Closure:
        raise EvalError("'functionArgs' requires a function", pos)
    formals = f.expr.formals
    if formals is None:
        return Attrs()
    return Attrs({x.name: x.default is not None for x in formals.formals},
                 positions={x.name: x.pos for x in formals.formals})


@primop("unsafeGetAttrPos", 2)
def _unsafe_get_attr_pos(ev, pos, name, attrs):
    from ..eval.evaluator import pos_to_attrs

    key = ev.force_string_no_context(name, pos)
    attrs = ev.force_attrs(attrs, pos)
    if key not in attrs or not attrs.positions:
        return None
    return pos_to_attrs(attrs.positions.get(key))


# -- import --------------------------------------------------------------------

@primop("import", 1)
def _import(ev, pos, path):
    context: set[str] = set()
    target = ev.coerce_to_path(path, pos, context)
    return ev.eval_file(target)


@primop("scopedImport", 2)
def _scoped_import(ev, pos, scope, path):
    from ..eval.env import Env
    from ..eval.evaluator import resolve_expr_path
    from ..scope import StaticEnv, bind_vars

    attrs = ev.force_attrs(scope, pos)
    target = resolve_expr_path(ev.coerce_to_path(path, pos))
    from ..parser import parse, read_source_file

    expr = parse(read_source_file(target), check_scopes=False)
    names = list(attrs)
    # The scope's names shadow the base environment, as a `with`-like frame of slots.
    bind_vars(expr, StaticEnv({n: i for i, n in enumerate(names)}, False, ev.static_env))
    return ev.force(ev.eval(expr, Env([attrs[n] for n in names], ev.base_env)), pos)


@primop("findFile", 2)
def _find_file(ev, pos, search_path, path):
    entries = []
    for item in ev.force_list(search_path, pos):
        item = ev.force_attrs(item, pos)
        prefix = ev.force_string_no_context(item["prefix"], pos) if "prefix" in item else ""
        if "path" not in item:
            raise EvalError("attribute 'path' missing", pos)
        entries.append((prefix, str(ev.coerce_to_string(item["path"], pos, copy_to_store=False))))
    name = ev.force_string_no_context(path, pos)
    saved = ev.search_path
    ev.search_path = entries
    try:
        if name.startswith("nix/"):
            corepkgs = os.path.join(os.path.dirname(__file__), "corepkgs", name[4:])
            try:
                return NixPath(ev.find_file(name, pos))
            except EvalError:
                return NixPath(corepkgs)
        return NixPath(ev.find_file(name, pos))
    finally:
        ev.search_path = saved

