"""``builtins.fromTOML`` with Nix 2.8's results (Nix parses with toml11).

Python's ``tomllib`` accepts the same TOML 1.0 documents; where toml11's
results differ we adjust: integers and finite floats out of range saturate
(toml11 reads them with ``istream >>``), and dates and times are rejected
because Nix has no value for them.
"""
from __future__ import annotations

import datetime
import math
import sys
import tomllib
from typing import Any

from ...errors import EvalError
from ..eval.values import Attrs
from . import primop

_INT_MIN = -0x8000000000000000
_INT_MAX = 0x7FFFFFFFFFFFFFFF


def _parse_float(text: str) -> float:
    """A TOML float as toml11 reads it: overflow gives the largest double, not infinity."""
    value = float(text.replace("_", ""))
    if math.isinf(value) and text.lstrip("+-") != "inf":
        return math.copysign(sys.float_info.max, value)
    return value


def _nix_str(s: str) -> str:
    """A decoded TOML string as our latin-1-of-UTF-8 representation."""
    return s.encode("utf-8", "surrogatepass").decode("latin-1")


def _convert(v: Any, pos: Any) -> Any:
    t = type(v)
    if t is dict:
        return Attrs({_nix_str(k): _convert(x, pos) for k, x in v.items()})
    if t is list:
        return [_convert(x, pos) for x in v]
    if t is str:
        return _nix_str(v)
    if t is int:
        return min(max(v, _INT_MIN), _INT_MAX)
    if t is float or t is bool:
        return v
    if isinstance(v, (datetime.date, datetime.time)):
        raise EvalError("while parsing a TOML string: Dates and times are not supported", pos)
    raise TypeError(f"unexpected TOML value {v!r}")


@primop("fromTOML", 1)
def _from_toml(ev, pos, v):
    text = ev.force_string_no_context(v, pos).encode("latin-1").decode("utf-8", "surrogateescape")
    try:
        parsed = tomllib.loads(text, parse_float=_parse_float)
    except tomllib.TOMLDecodeError as err:
        raise EvalError(f"while parsing a TOML string: {err}", pos) from None
    return _convert(parsed, pos)
