"""``nix-instantiate --eval`` as a library call: load, auto-call, select, print."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ...errors import EvalError
from ..lexer import Source
from .evaluator import Evaluator, parse_search_path
from .printer import print_value, to_json
from .values import Attrs, Closure


@dataclass
class EvalRequest:
    """What the command line asked for."""

    file: str | None = None
    expr: str | None = None
    strict: bool = False
    output: str = "nix"  # nix | json | xml
    location: bool = True
    attr_paths: list[str] = field(default_factory=list)
    args: dict[str, str] = field(default_factory=dict)  # --arg NAME EXPR
    argstrs: dict[str, str] = field(default_factory=dict)  # --argstr NAME VALUE
    include: list[str] = field(default_factory=list)  # -I


def make_evaluator(include: list[str]) -> Evaluator:
    """An evaluator with ``-I``/``NIX_PATH`` and our nix-processmgmt framework's Python side, so models
    evaluate as they build (``<nix-processmgmt>`` falls back to ours without changing ``builtins.nixPath``)."""
    from ...framework import install

    entries = list(include) + os.environ.get("NIX_PATH", "").split(":")
    ev = Evaluator(search_path=parse_search_path(entries))
    install(ev)
    return ev


def auto_args(ev: Evaluator, request: EvalRequest) -> Attrs:
    args = Attrs()
    for name, text in request.args.items():
        args[name] = ev.eval_source(Source(text, "«string»", os.getcwd()))
    for name, value in request.argstrs.items():
        args[name] = value
    return args


def auto_call(ev: Evaluator, value: Any, args: Attrs) -> Any:
    """Call a function whose arguments are a set with the given --arg/--argstr values."""
    value = ev.force(value)
    if type(value) is Attrs and "__functor" in value:
        functor = ev.force(value["__functor"])
        return auto_call(ev, ev.call(functor, value), args)
    if type(value) is not Closure or value.expr.formals is None:
        return value
    formals = value.expr.formals
    if formals.ellipsis:
        return ev.force(ev.call(value, args))
    return ev.force(ev.call(value, Attrs({f.name: args[f.name] for f in formals.formals if f.name in args})))


def select_attr_path(ev: Evaluator, value: Any, path: str, args: Attrs) -> Any:
    """``-A a.b.0``: attribute names and list indices, auto-calling functions on the way."""
    for part in [p for p in path.split(".") if p]:
        value = auto_call(ev, value, args)
        if type(value) is list:
            if not part.isdigit():
                raise EvalError(f"the expression selected by the selection path '{path}' should be a set but is a list")
            index = int(part)
            if index >= len(value):
                raise EvalError(f"list index {index} in selection path '{path}' is out of range")
            value = ev.force(value[index])
        else:
            if type(value) is not Attrs:
                raise EvalError(f"the expression selected by the selection path '{path}' should be a set")
            if part not in value:
                raise EvalError(f"attribute '{part}' in selection path '{path}' not found")
            value = ev.force(value[part])
    return value


def evaluate(request: EvalRequest) -> str:
    """Evaluate as ``nix-instantiate --eval`` would and return its standard output."""
    ev = make_evaluator(request.include)
    if request.expr is not None:
        value = ev.eval_source(Source(request.expr.encode("utf-8", "surrogateescape").decode("latin-1"),
                                      "«string»", os.getcwd()))
    else:
        value = ev.eval_file(os.path.abspath(request.file or "default.nix"))
    args = auto_args(ev, request)
    results = []
    for path in request.attr_paths or [""]:
        result = auto_call(ev, select_attr_path(ev, value, path, args), args)
        if request.strict:
            ev.force_deep(result)
        if request.output == "json":
            results.append(to_json(ev, result, set()))
        elif request.output == "xml":
            from .xml import to_xml

            results.append(to_xml(ev, result, location=request.location, strict=request.strict))
        else:
            results.append(print_value(ev, result))
    # Nix 2.8 ends each printed value with a newline, except --json output:
    # those are written back to back with no separator at all.
    end = "" if request.output == "json" else "\n"
    return "".join(r + end for r in results)
