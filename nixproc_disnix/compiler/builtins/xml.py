"""``builtins.toXML``."""
from __future__ import annotations

from ..eval.values import make_string
from ..eval.xml import to_xml
from . import primop


@primop("toXML", 1)
def _to_xml(ev, pos, v):
    context: set[str] = set()
    return make_string(to_xml(ev, v, location=False, strict=True, context=context) + "\n", context)
