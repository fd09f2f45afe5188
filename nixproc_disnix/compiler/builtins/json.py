"""JSON primops: ``toJSON`` and ``fromJSON`` with Nix 2.8's rules."""
from __future__ import annotations

import json as _json

from ...errors import EvalError
from ..eval.printer import to_json
from ..eval.values import Attrs, make_string
from . import primop
from .json_errors import nlohmann_message


@primop("toJSON", 1)
def _to_json(ev, pos, v):
    context: set[str] = set()
    text = to_json(ev, v, context)
    return make_string(text, context)


def _nix_str(s: str) -> str:
    """A decoded JSON string as our latin-1-of-UTF-8 representation."""
    return s.encode("utf-8", "surrogatepass").decode("latin-1")


def _convert(v):
    t = type(v)
    if t is str:
        return _nix_str(v)
    if t is bool or v is None or t is float:
        return v
    if t is int:
        if v > 0xFFFFFFFFFFFFFFFF or v < -0x8000000000000000:
            return float(v)
        if v > 0x7FFFFFFFFFFFFFFF:
            return v - 0x10000000000000000
        return v
    if t is list:
        return [_convert(x) for x in v]
    if t is dict:
        return Attrs({_nix_str(k): _convert(x) for k, x in v.items()})
    raise TypeError(v)


def _reject_constant(name: str):
    raise ValueError(f"invalid literal {name}")


def _parse_error(text: str, pos) -> EvalError:
    """nlohmann's message: Nix 2.8 parses JSON with nlohmann::json."""
    return EvalError(f"[json.exception.parse_error.101] {nlohmann_message(text)}", pos)


@primop("fromJSON", 1)
def _from_json(ev, pos, v):
    s = ev.force_string(v, pos)
    text = s.encode("latin-1").decode("utf-8", "surrogateescape")
    try:
        parsed = _json.loads(text, parse_constant=_reject_constant)
    except ValueError:  # also NaN / Infinity, which nlohmann's parser rejects
        raise _parse_error(text, pos) from None
    except RecursionError:
        raise EvalError("[json.exception.out_of_range.408] excessive array size", pos) from None
    return _convert(parsed)
