"""Values as Nix 2.8's XML (``nix-instantiate --eval --xml``, ``builtins.toXML``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import Pos
from ..printer import show_float
from .coerce import is_derivation
from .values import UNEVALUATED, Attrs, BLACKHOLE, Closure, CStr, NixPath

if TYPE_CHECKING:
    from .evaluator import Evaluator

_XML_ESCAPES = {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;"}


def _escape(s: str) -> str:
    return "".join(_XML_ESCAPES.get(c, c) for c in s)


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def _attrs(self, attrs: dict[str, str]) -> str:
        return "".join(f' {k}="{_escape(v)}"' for k, v in sorted(attrs.items()))

    def empty(self, name: str, attrs: dict[str, str] | None = None) -> None:
        self.lines.append("  " * self.depth + f"<{name}{self._attrs(attrs or {})} />")

    def open(self, name: str, attrs: dict[str, str] | None = None) -> None:
        self.lines.append("  " * self.depth + f"<{name}{self._attrs(attrs or {})}>")
        self.depth += 1

    def close(self, name: str) -> None:
        self.depth -= 1
        self.lines.append("  " * self.depth + f"</{name}>")


def _pos_attrs(pos: Pos | None) -> dict[str, str]:
    if pos is None:
        return {}
    return {"path": pos.file, "line": str(pos.line), "column": str(pos.column)}


def to_xml(ev: "Evaluator", value: Any, location: bool = True, strict: bool = False,
           context: set[str] | None = None) -> str:
    """The whole XML document for ``value`` (no trailing newline)."""
    w = _Writer()
    drvs_seen: set[str] = set()
    ctx = context if context is not None else set()

    def current(v: Any) -> Any:
        if strict:
            return ev.force(v)
        while type(v) in UNEVALUATED and v.value is not BLACKHOLE:
            v = v.value
        return v

    def show_attrs(attrs: Attrs) -> None:
        for name in sorted(attrs):
            pos = attrs.positions.get(name) if attrs.positions else None
            w.open("attr", {"name": name, **(_pos_attrs(pos) if location else {})})
            walk(attrs[name])
            w.close("attr")

    def walk(v: Any) -> None:
        v = current(v)
        t = type(v)
        if t is bool:
            w.empty("bool", {"value": "true" if v else "false"})
        elif t is int:
            w.empty("int", {"value": str(v)})
        elif t is float:
            w.empty("float", {"value": show_float(v)})
        elif t is str or t is CStr:
            if t is CStr:
                ctx.update(v.context)
            w.empty("string", {"value": str(v)})
        elif t is NixPath:
            w.empty("path", {"value": v.path})
        elif v is None:
            w.empty("null")
        elif t is Attrs:
            if is_derivation(ev, v):
                attrs: dict[str, str] = {}
                drv_path = ""
                for key, attr in (("drvPath", "drvPath"), ("outPath", "outPath")):
                    if key in v:
                        item = current(v[key])
                        if type(item) in (str, CStr):
                            attrs[attr] = str(item)
                            if key == "drvPath":
                                drv_path = str(item)
                w.open("derivation", attrs)
                if drv_path and drv_path not in drvs_seen:
                    drvs_seen.add(drv_path)
                    show_attrs(v)
                else:
                    w.empty("repeated")
                w.close("derivation")
            else:
                w.open("attrs")
                show_attrs(v)
                w.close("attrs")
        elif t is list:
            w.open("list")
            for item in v:
                walk(item)
            w.close("list")
        elif t is Closure:
            lam = v.expr
            w.open("function", _pos_attrs(lam.pos) if location else {})
            if lam.formals is not None:
                pat: dict[str, str] = {}
                if lam.arg is not None:
                    pat["name"] = lam.arg
                if lam.formals.ellipsis:
                    pat["ellipsis"] = "1"
                w.open("attrspat", pat)
                for formal in sorted(lam.formals.formals, key=lambda f: f.name):
                    w.empty("attr", {"name": formal.name})
                w.close("attrspat")
            else:
                w.empty("varpat", {"name": lam.arg or ""})
            w.close("function")
        else:
            w.empty("unevaluated")

    w.lines.append("<?xml version='1.0' encoding='utf-8'?>")
    w.open("expr")
    walk(value)
    w.close("expr")
    return "\n".join(w.lines)
