"""``derivationStrict``: a derivation's attributes to a store derivation, as Nix 2.8 does it."""
from __future__ import annotations

import os

from ...errors import EvalError
from ...store.instantiate import (
    DerivationRequest,
    check_output_names,
    instantiate_derivation,
    parse_output_hash_mode,
)
from ...store.modulo import DrvHashes
from ..eval.printer import to_json
from ..eval.values import Attrs, make_string
from . import primop
from .paths import from_store_text, to_store_text


def _nix_bytes_key(name: str) -> bytes:
    return name.encode("latin-1")


class _Session:
    """Per-evaluator store state: modulo hashes and the derivations made so far."""

    def __init__(self, store_dir: str) -> None:
        self.derivations: dict[str, object] = {}
        self.hashes = DrvHashes(store_dir)


def session(ev) -> _Session:
    s = getattr(ev, "_drv_session", None)
    if s is None:
        s = _Session(ev.store_dir)
        ev._drv_session = s
    return s


def _read_drv(sess: _Session, path: str):
    drv = sess.derivations.get(path)
    if drv is None:
        from ...store.aterm import parse_derivation
        from ...store.modulo import _read_text
        from ...store.paths import DRV_EXTENSION, parse_store_path

        _, base = parse_store_path(path, sess.hashes.store_dir)
        drv = parse_derivation(_read_text(path), base.removesuffix(DRV_EXTENSION), sess.hashes.store_dir)
        sess.derivations[path] = drv
    return drv


def _closure(sess: _Session, path: str) -> set[str]:
    """Store paths a ``.drv`` refers to, transitively (its references are its inputs)."""
    seen: set[str] = set()
    todo = [path]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        if p.endswith(".drv"):
            try:
                drv = _read_drv(sess, p)
            except (OSError, EvalError):
                continue
            todo.extend(drv.input_srcs)
            todo.extend(drv.input_drvs)
    return seen


@primop("derivationStrict", 1)
def _derivation_strict(ev, pos, args):
    attrs = ev.force_attrs(args, pos)
    if "name" not in attrs:
        raise EvalError("attribute 'name' missing for call to 'derivationStrict'", pos)
    drv_name = str(ev.force_string_no_context(attrs["name"], pos))

    structured = "__structuredAttrs" in attrs and ev.force_bool(attrs["__structuredAttrs"], pos)
    ignore_nulls = "__ignoreNulls" in attrs and ev.force_bool(attrs["__ignoreNulls"], pos)

    context: set[str] = set()
    env: dict[str, str] = {}
    json_parts: list[str] = []
    drv_args: list[str] = []
    builder = system = ""
    output_hash = None
    output_hash_algo = ""
    hash_mode = None
    outputs = ["out"]

    for key in sorted(attrs, key=_nix_bytes_key):
        if key == "__ignoreNulls":
            continue
        value = attrs[key]
        try:
            if ignore_nulls and ev.force(value, pos) is None:
                continue
            if key == "__contentAddressed" or key == "__impure":
                if ev.force_bool(value, pos):
                    raise EvalError("experimental Nix feature 'ca-derivations' is disabled; "
                                    "use '--extra-experimental-features ca-derivations' to override"
                                    if key == "__contentAddressed" else
                                    "experimental Nix feature 'impure-derivations' is disabled; "
                                    "use '--extra-experimental-features impure-derivations' to override")
            elif key == "args":
                for elem in ev.force_list(value, pos):
                    drv_args.append(str(ev.coerce_to_string(elem, pos, context, True)))
            elif structured:
                if key == "__structuredAttrs":
                    continue
                from ..eval.printer import json_string

                json_parts.append(json_string(key) + ":" + to_json(ev, value, context))
                if key == "builder":
                    builder = str(ev.force_string(value, pos))
                    context.update(getattr(ev.force(value), "context", ()))
                elif key == "system":
                    system = str(ev.force_string_no_context(value, pos))
                elif key == "outputHash":
                    output_hash = str(ev.force_string_no_context(value, pos))
                elif key == "outputHashAlgo":
                    output_hash_algo = str(ev.force_string_no_context(value, pos))
                elif key == "outputHashMode":
                    hash_mode = parse_output_hash_mode(str(ev.force_string_no_context(value, pos)))
                elif key == "outputs":
                    outputs = check_output_names(
                        [str(ev.force_string_no_context(x, pos)) for x in ev.force_list(value, pos)])
            else:
                s = str(ev.coerce_to_string(value, pos, context, True))
                env[key] = s
                if key == "builder":
                    builder = s
                elif key == "system":
                    system = s
                elif key == "outputHash":
                    output_hash = s
                elif key == "outputHashAlgo":
                    output_hash_algo = s
                elif key == "outputHashMode":
                    hash_mode = parse_output_hash_mode(s)
                elif key == "outputs":
                    outputs = check_output_names(s.split())
        except EvalError as e:
            if e.pos is None:
                e.pos = pos
            e.trace.append((f"while evaluating the attribute '{key}' of the derivation '{drv_name}'", pos))
            raise

    if structured:
        env["__json"] = "{" + ",".join(json_parts) + "}"

    sess = session(ev)
    input_drvs: dict[str, set[str]] = {}
    input_srcs: set[str] = set()
    for path in context:
        if path.startswith("="):
            # Nix reads the closure from the store: a derivation only instantiated
            # in this (read-only) evaluation is not valid there yet.
            if not os.path.exists(path[1:]):
                raise EvalError(f"path '{path[1:]}' is not valid", pos)
            for ref in _closure(sess, path[1:]):
                input_srcs.add(ref)
                if ref.endswith(".drv"):
                    try:
                        input_drvs[ref] = set(_read_drv(sess, ref).outputs)
                    except (OSError, EvalError):
                        input_drvs.setdefault(ref, set())
        elif path.startswith("!"):
            _, output, drv_path = path.split("!", 2)
            input_drvs.setdefault(drv_path, set()).add(output)
        else:
            input_srcs.add(path)

    t = to_store_text
    request = DerivationRequest(
        name=t(drv_name), system=t(system), builder=t(builder),
        env={t(k): t(v) for k, v in env.items()}, args=[t(a) for a in drv_args], outputs=[t(o) for o in outputs],
        input_drvs=input_drvs, input_srcs=input_srcs,
        output_hash=t(output_hash) if output_hash is not None else None,
        output_hash_algo=t(output_hash_algo), output_hash_mode=hash_mode,
    )
    try:
        result = instantiate_derivation(request, sess.hashes)
    except EvalError as e:
        if e.pos is None:
            e.pos = pos
        raise
    for warning in result.warnings:
        import sys

        print(f"warning: {warning}", file=sys.stderr)
    drv_path = result.drv_path
    if ev.store is not None:
        ev.store.add_derivation(result)
    sess.derivations[drv_path] = result.derivation
    out = Attrs()
    out["drvPath"] = make_string(drv_path, {"=" + drv_path})
    for name, path in result.output_paths.items():
        n = from_store_text(name)
        out[n] = make_string(from_store_text(path), {f"!{n}!{drv_path}"})
    return out


@primop("unsafeDiscardOutputDependency", 1)
def _discard_output_dependency(ev, pos, v):
    context: set[str] = set()
    s = ev.coerce_to_string(v, pos, context)
    return make_string(s, {p[1:] if p.startswith("=") else p for p in context})
