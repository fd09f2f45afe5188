"""Indentation stripping of ``''...''`` strings, as Nix 2.8's parser does it.

The minimum indentation is taken over lines that start with literal text;
interpolations and escapes (``''$``, ``'''``, ``''\\x``) end a line's leading
whitespace without counting as indentation, and whitespace-only lines are
ignored.  A final line of only spaces is dropped when the string has no
interpolation.
"""
from __future__ import annotations

from ..errors import Pos
from . import ast

#: One part of an indented string: (position, text or expression, is raw text
#: whose indentation counts).
IndPart = tuple[Pos, "str | ast.Expr", bool]


def _min_indent(parts: list[IndPart]) -> int:
    at_line_start, min_indent, cur = True, 1_000_000, 0
    for _, value, raw in parts:
        if not raw:
            if at_line_start:
                at_line_start = False
                min_indent = min(min_indent, cur)
            continue
        for ch in value:  # type: ignore[union-attr]
            if at_line_start:
                if ch == " ":
                    cur += 1
                elif ch == "\n":
                    cur = 0
                else:
                    at_line_start = False
                    min_indent = min(min_indent, cur)
            elif ch == "\n":
                at_line_start, cur = True, 0
    return min_indent


def strip_indentation(pos: Pos, parts: list[IndPart]) -> ast.Expr:
    if not parts:
        return ast.String("", pos)
    min_indent = _min_indent(parts)
    out: list[ast.Expr] = []
    at_line_start, dropped = True, 0
    remaining = len(parts)
    for part_pos, value, _raw in parts:
        if isinstance(value, ast.Expr):
            at_line_start, dropped = False, 0
            out.append(value)
        else:
            chars: list[str] = []
            for ch in value:
                if at_line_start:
                    if ch == " ":
                        if dropped >= min_indent:
                            chars.append(ch)
                        dropped += 1
                    elif ch == "\n":
                        dropped = 0
                        chars.append(ch)
                    else:
                        at_line_start, dropped = False, 0
                        chars.append(ch)
                else:
                    chars.append(ch)
                    if ch == "\n":
                        at_line_start = True
            text = "".join(chars)
            if remaining == 1:
                cut = text.rfind("\n")
                if cut != -1 and text[cut + 1:].strip(" ") == "":
                    text = text[:cut + 1]
            out.append(ast.String(text, part_pos))
        remaining -= 1
    if len(out) == 1 and isinstance(out[0], ast.String):
        out[0].pos = pos
        return out[0]
    return ast.ConcatStrings(True, out, pos)
