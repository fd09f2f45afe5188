"""Fetcher primops: ``fetchurl``, ``fetchTarball``, ``fetchGit``, ``fetchMercurial``, ``fetchTree``.

They exist so that code which merely mentions them evaluates, and so a
call fails with a clear reason instead of "attribute missing": this
evaluator has no network access and no store to download into.  The
argument is still checked first, as Nix type-checks it before fetching.
"""
from __future__ import annotations

from ...errors import EvalError
from ..eval.values import Attrs
from . import primop


def _unavailable(name: str, coerce: bool):
    def fetch(ev, pos, arg):
        value = ev.force(arg, pos)
        if type(value) is Attrs:
            url = ev.force_string_no_context(value["url"], pos) if "url" in value else None
        elif coerce:
            url = str(ev.coerce_to_string(value, pos, set(), copy_to_store=False))
        else:
            url = ev.force_string_no_context(value, pos)
        what = f"'{url}'" if url is not None else "its input"
        raise EvalError(f"'builtins.{name}' cannot fetch {what}: network fetching is not available "
                        f"in this evaluator", pos)

    return fetch


for _name, _coerce in (("fetchurl", False), ("fetchTarball", False), ("fetchGit", True),
                       ("fetchMercurial", True), ("fetchTree", False)):
    primop(_name, 1)(_unavailable(_name, _coerce))
