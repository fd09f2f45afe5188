"""String context primops, following Nix 2.8's ``primops/context.cc``.

A context element is ``/nix/store/p`` (a plain path), ``=/nix/store/x.drv``
(a derivation and all its outputs) or ``!out!/nix/store/x.drv`` (one output);
``getContext`` and ``appendContext`` translate between that encoding and the
``{ path; allOutputs; outputs; }`` sets programs see.
"""
from __future__ import annotations

from ...errors import EvalError
from ...store.paths import parse_store_path
from ..eval.values import Attrs, context_of, make_string
from . import primop


@primop("unsafeDiscardStringContext", 1)
def _unsafe_discard_string_context(ev, pos, s):
    return str(ev.coerce_to_string(s, pos, set()))


@primop("hasContext", 1)
def _has_context(ev, pos, s):
    return bool(context_of(ev.force_string(s, pos)))


@primop("getContext", 1)
def _get_context(ev, pos, s):
    # Elements are visited in byte order, as Nix's std::set<string> does: that
    # fixes the order of each derivation's ``outputs``.
    infos: dict[str, Attrs] = {}
    for elem in sorted(context_of(ev.force_string(s, pos))):
        if elem.startswith("="):
            infos.setdefault(elem[1:], Attrs())["allOutputs"] = True
        elif elem.startswith("!"):
            output, _, drv = elem[1:].partition("!")
            infos.setdefault(drv, Attrs()).setdefault("outputs", []).append(output)
        else:
            infos.setdefault(elem, Attrs())["path"] = True
    return Attrs({path: infos[path] for path in sorted(infos)})


def _is_store_path(ev, path: str) -> bool:
    try:
        parse_store_path(path, ev.store_dir)
    except EvalError:
        return False
    return True


@primop("appendContext", 2)
def _append_context(ev, pos, s, spec):
    s = ev.force_string(s, pos)
    context = set(context_of(s))
    spec = ev.force_attrs(spec, pos)
    positions = spec.positions or {}
    # Nix 2.8 prints these attribute names (symbols) in double quotes in its messages.
    for path, info in spec.items():
        at = positions.get(path) or pos
        if not _is_store_path(ev, path):
            raise EvalError(f"Context key '\"{path}\"' is not a store path", at)
        info = ev.force_attrs(info, at)
        if "path" in info and ev.force_bool(info["path"], at):
            context.add(path)
        if "allOutputs" in info and ev.force_bool(info["allOutputs"], at):
            if not path.endswith(".drv"):
                raise EvalError(f"Tried to add all-outputs context of \"{path}\", which is not a derivation, "
                                f"to a string", at)
            context.add("=" + path)
        if "outputs" in info:
            outputs = ev.force_list(info["outputs"], at)
            if outputs and not path.endswith(".drv"):
                raise EvalError(f"Tried to add derivation output context of \"{path}\", which is not a derivation, "
                                f"to a string", at)
            for output in outputs:
                context.add(f"!{ev.force_string_no_context(output, at)}!{path}")
    return make_string(str(s), context)
