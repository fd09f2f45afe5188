"""Path primops with Nix 2.8's rules: names, reading files and directories,
adding sources to the store (``path``, ``filterSource``, ``toFile``): computed
only, or also written when the evaluator has a store."""
from __future__ import annotations

import os

from ...errors import EvalError
from ...store.hashing import base32_encode, hash_bytes, parse_hash_allow_empty
from ...store.nar import PathFilter
from ...store.paths import make_fixed_output_path, make_text_path, parse_store_path
from ...store.source import source_store_path
from ..eval.values import Attrs, NixPath, is_function, make_string, show_type
from . import primop


def to_store_text(s: str) -> str:
    """An evaluator string (latin-1 of bytes) as the text the store helpers expect."""
    return s.encode("latin-1").decode("utf-8", "surrogateescape")


def from_store_text(s: str) -> str:
    return s.encode("utf-8", "surrogateescape").decode("latin-1")


def _fs(path: str) -> bytes:
    return path.encode("latin-1")


def base_name_of(path: str) -> str:
    if not path:
        return ""
    last = len(path) - 1
    if path[last] == "/" and last > 0:
        last -= 1
    p = path.rfind("/", 0, last + 1)
    p = 0 if p < 0 else p + 1
    return path[p:last + 1]


def dir_of(path: str) -> str:
    p = path.rfind("/")
    if p < 0:
        return "."
    return "/" if p == 0 else path[:p]


@primop("baseNameOf", 1)
def _base_name_of(ev, pos, v):
    context: set[str] = set()
    s = ev.coerce_to_string(v, pos, context, False, False)
    return make_string(base_name_of(s), context)


@primop("dirOf", 1)
def _dir_of(ev, pos, v):
    context: set[str] = set()
    v = ev.force(v, pos)
    s = ev.coerce_to_string(v, pos, context, False, False)
    d = dir_of(s)
    if type(v) is NixPath:
        return NixPath(d)
    return make_string(d, context)


@primop("pathExists", 1)
def _path_exists(ev, pos, v):
    path = ev.coerce_to_path(v, pos, set())
    try:
        return os.path.lexists(_fs(path)) if not path.endswith("/") else os.path.exists(_fs(path))
    except (OSError, ValueError):
        return False


def _sys(what: str, path: str, e: OSError, pos) -> EvalError:
    return EvalError(f"{what} '{path}': {e.strerror}", pos)


@primop("readFile", 1)
def _read_file(ev, pos, v):
    path = ev.coerce_to_path(v, pos, set())
    try:
        with open(_fs(path), "rb") as f:
            data = f.read()
    except IsADirectoryError as e:
        raise EvalError(f"reading from file: {e.strerror}", pos) from None
    except OSError as e:
        raise _sys("opening file", path, e, pos) from None
    if b"\0" in data:
        raise EvalError(f"the contents of the file '{path}' cannot be represented as a Nix string", pos)
    return data.decode("latin-1")


@primop("readDir", 1)
def _read_dir(ev, pos, v):
    path = ev.coerce_to_path(v, pos, set())
    try:
        entries = list(os.scandir(_fs(path)))
    except OSError as e:
        raise _sys("opening directory", path, e, pos) from None
    result = Attrs()
    for ent in entries:
        name = ent.name.decode("latin-1")
        try:
            if ent.is_symlink():
                kind = "symlink"
            elif ent.is_dir(follow_symlinks=False):
                kind = "directory"
            elif ent.is_file(follow_symlinks=False):
                kind = "regular"
            else:
                kind = "unknown"
        except OSError:
            kind = "unknown"
        result[name] = kind
    return result


@primop("toPath", 1)
def _to_path(ev, pos, v):
    from ..parser import canon_path

    context: set[str] = set()
    path = ev.coerce_to_path(v, pos, context)
    return make_string(canon_path(path), context)


@primop("storePath", 1)
def _store_path(ev, pos, v):
    if ev.pure:
        raise EvalError("'builtins.storePath' is not allowed in pure evaluation mode", pos)
    context: set[str] = set()
    path = ev.coerce_to_path(v, pos, context)
    from ..parser import canon_path

    path = canon_path(path)
    prefix = ev.store_dir + "/"
    if not path.startswith(prefix):
        raise EvalError(f"path '{path}' is not in the Nix store", pos)
    base = path[len(prefix):].split("/", 1)[0]
    store_path = prefix + base
    parse_store_path(store_path, ev.store_dir)
    context.add(store_path)
    return make_string(path, context)


def _make_filter(ev, pos, fn):
    def keep(path: str, kind: str) -> bool:
        arg = from_store_text(path)
        res = ev.call(ev.call(fn, arg, pos), kind, pos)
        return ev.force_bool(res, pos)

    return keep


def add_source(ev, pos, path: str, name: str | None = None, filter: PathFilter | None = None,
               recursive: bool = True) -> str:
    """The store path of a local file or tree, copied into the evaluator's store when it has one.

    ``path`` and ``name`` are evaluator strings; so is the result.
    """
    if not os.path.lexists(_fs(path)):
        raise EvalError(f"getting status of '{path}': No such file or directory", pos)
    source = to_store_text(path)
    store_name = to_store_text(name) if name is not None else None
    try:
        if ev.store is None:
            dst = source_store_path(source, store_name, recursive, filter, ev.store_dir)
        else:
            dst = ev.store.add_path(source, store_name, recursive, filter)
    except EvalError as e:
        if e.pos is None:
            raise EvalError(e.message, pos) from None
        raise
    return from_store_text(dst)


def add_path(ev, pos, name: str, path: str, filter_fn, recursive: bool, expected_hash):
    flt = _make_filter(ev, pos, filter_fn) if filter_fn is not None else None
    dst = add_source(ev, pos, path, name, flt, recursive)
    if expected_hash is not None:
        try:
            expected = make_fixed_output_path(to_store_text(name), "recursive" if recursive else "flat",
                                              expected_hash, store_dir=ev.store_dir)
        except EvalError as e:
            raise EvalError(e.message, e.pos or pos) from None
        if expected != to_store_text(dst):
            raise EvalError(f"store path mismatch in (possibly filtered) path added from '{path}'", pos)
    return make_string(dst, {dst})


@primop("path", 1)
def _path(ev, pos, args):
    args = ev.force_attrs(args, pos)
    path = ""
    name = ""
    filter_fn = None
    recursive = True
    expected = None
    for key, value in args.items():
        if key == "path":
            path = ev.coerce_to_path(value, pos, set())
        elif key == "name":
            name = ev.force_string_no_context(value, pos)
        elif key == "filter":
            filter_fn = ev.force(value, pos)
        elif key == "recursive":
            recursive = ev.force_bool(value, pos)
        elif key == "sha256":
            expected, _ = parse_hash_allow_empty(ev.force_string_no_context(value, pos), "sha256")
        else:
            raise EvalError(f"unsupported argument '{key}' to 'addPath'", pos)
    if not path:
        raise EvalError("'path' required", pos)
    if not name:
        name = base_name_of(path)
    return add_path(ev, pos, name, path, filter_fn, recursive, expected)


@primop("filterSource", 2)
def _filter_source(ev, pos, fn, v):
    path = ev.coerce_to_path(v, pos, set())
    fn = ev.force(fn, pos)
    if not is_function(fn) and not (type(fn) is Attrs and "__functor" in fn):
        raise EvalError(f"first argument in call to 'filterSource' is not a function but {show_type(fn)}", pos)
    return add_path(ev, pos, base_name_of(path), path, fn, True, None)


@primop("toFile", 2)
def _to_file(ev, pos, name, contents):
    name = str(ev.force_string_no_context(name, pos))
    s = ev.force_string(contents, pos)
    refs = []
    for path in sorted(getattr(s, "context", ())):
        if not path.startswith("/"):
            raise EvalError(f"in 'toFile': the file named '{name}' must not contain a reference "
                            f"to a derivation but contains ({path})", pos)
        refs.append(path)
    try:
        if ev.store is None:
            dst = make_text_path(to_store_text(name), str(s).encode("latin-1"), refs, ev.store_dir)
        else:
            dst = from_store_text(ev.store.add_text(to_store_text(name), to_store_text(str(s)),
                                                    [to_store_text(ref) for ref in refs]))
    except EvalError as e:
        raise EvalError(e.message, e.pos or pos) from None
    return make_string(dst, {dst})


def hash_placeholder(output: str) -> str:
    return "/" + base32_encode(hash_bytes("sha256", ("nix-output:" + output).encode("latin-1")).digest)


@primop("placeholder", 1)
def _placeholder(ev, pos, v):
    return hash_placeholder(ev.force_string_no_context(v, pos))
