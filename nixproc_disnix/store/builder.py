"""Building derivations into our store as Nix 2.8's local builder does (libstore/build).

Builders written for Nix expect its environment (``$out``, ``$NIX_BUILD_TOP``,
``PATH=/path-not-set``, ``passAsFile``), so we reproduce it; there is no
sandbox and no build user. Outputs are built in place under a per-path lock,
made read-only, scanned for the store paths they refer to and registered in
one transaction, so a valid output is never built twice.
"""
from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import tempfile
from graphlib import TopologicalSorter
from collections.abc import Iterable, Mapping

from nixproc_disnix.errors import BuildError, EvalError
from nixproc_disnix.image import accounts, build as docker_image, process_image, store_registration
from nixproc_disnix.progress import PhaseCounter, Progress
from nixproc_disnix.store import generated_files, profile_env
from nixproc_disnix.store.derivation import Derivation
from nixproc_disnix.store.hashing import Hash, hash_bytes, hash_file
from nixproc_disnix.store.nar import nar_chunks, nar_hash
from nixproc_disnix.store.paths import HASH_PART_LEN, parse_store_path
from nixproc_disnix.store.store import PathRegistration, Store, make_read_only, remove_tree

HOMELESS_SHELTER = "/homeless-shelter"
LOG_TAIL_LINES = 10
"""Nix's default ``log-lines``: how much of a failed build's log an error shows."""

_TOKEN_SEPARATORS = re.compile(r"[ \t\n\r]+")
_HASH_RUN = re.compile(rb"[0-9a-df-np-sv-z]{%d,}" % HASH_PART_LEN)
"""Runs of Nix base-32 characters long enough to hold a store path's hash part."""


def build(store: Store, drv_path: str, progress: Progress | None = None) -> dict[str, str]:
    """Build ``drv_path`` and whatever of its input derivations is not yet valid.

    Returns its output paths by output name. Valid outputs are never rebuilt,
    so calling this again on unchanged inputs only reads the database.
    ``progress`` hears of each derivation built (a ``build`` step).
    """
    known = store.derivation_outputs(drv_path)
    if known and all(store.is_valid(path) for path in known.values()):
        return known
    drvs: dict[str, Derivation] = {}
    order = _build_order(store, drv_path, drvs)
    counter = PhaseCounter(progress, "build", len(order))
    for path in order:
        with counter.step(path):
            _build_one(store, path, drvs)
    return {name: out.path for name, out in drvs[drv_path].outputs.items()}


def _build_order(store: Store, top: str, drvs: dict[str, Derivation]) -> list[str]:
    """Derivations with an invalid output, inputs before dependents (iterative post-order).

    Below a derivation whose outputs are all valid nothing needs building, so
    the walk does not descend there.
    """
    order: list[str] = []
    seen: set[str] = set()
    stack: list[tuple[str, bool]] = [(top, False)]
    while stack:
        path, expanded = stack.pop()
        if expanded:
            order.append(path)
            continue
        if path in seen:
            continue
        seen.add(path)
        drv = drvs[path] = store.read_derivation(path)
        if _all_valid(store, drv):
            continue
        stack.append((path, True))
        stack.extend((input_drv, False) for input_drv in drv.input_drvs if input_drv not in seen)
    return _mentions_first(order, drvs, store.store_dir)


def _mentions_first(order: list[str], drvs: Mapping[str, Derivation], store_dir: str) -> list[str]:
    """``order`` with the outputs our builtin derivations mention built before them.

    A builtin derivation has no inputs; the store paths its files name
    become its references only if they are valid when it is built, so
    whatever in this build produces them goes first.
    """
    producers = {out.path: path for path in order for out in drvs[path].outputs.values()}
    in_build = set(order)
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for path in order:
        drv = drvs[path]
        predecessors = [input_drv for input_drv in drv.input_drvs if input_drv in in_build]
        if drv.builder in (generated_files.BUILDER, profile_env.BUILDER):
            mentioned = generated_files.mentioned_store_paths(drv, store_dir)
            predecessors += [producers[out] for out in mentioned if out in producers and producers[out] != path]
        sorter.add(path, *predecessors)
    return list(sorter.static_order())


def _all_valid(store: Store, drv: Derivation) -> bool:
    return all(store.is_valid(out.path) for out in drv.outputs.values())


def _build_one(store: Store, drv_path: str, drvs: Mapping[str, Derivation]) -> None:
    drv = drvs[drv_path]
    outputs = {name: out.path for name, out in drv.outputs.items()}
    with store.lock_paths(outputs.values()):
        # Another process may have built it while we waited for the lock.
        if _all_valid(store, drv):
            return
        inputs = _input_paths(store, drv_path, drv, drvs)
        for path in outputs.values():
            if not store.is_valid(path):
                store.delete_path(path)
        try:
            _run_builder(store, drv_path, drv)
            for name, path in outputs.items():
                if not os.path.lexists(path):
                    raise BuildError(
                        f"builder for '{drv_path}' failed to produce output path for output '{name}' at '{path}'"
                    )
            if drv.is_fixed_output:
                _check_fixed_output(drv_path, drv)
            for path in outputs.values():
                make_read_only(path)
            candidates = store.closure(inputs) | set(outputs.values())
            if drv.builder in (generated_files.BUILDER, profile_env.BUILDER):
                candidates |= {path for path in generated_files.mentioned_store_paths(drv, store.store_dir)
                               if store.is_valid(path)}
            references = {path: scan_references(path, candidates, store.store_dir) for path in outputs.values()}
            if drv.is_fixed_output and references[outputs["out"]]:
                raise BuildError(f"illegal path references in fixed-output derivation '{drv_path}'")
        except BaseException:
            for path in outputs.values():
                if not store.is_valid(path):
                    store.delete_path(path)
            raise
        store.register(PathRegistration(path, references[path], drv_path) for path in outputs.values())


def _input_paths(store: Store, drv_path: str, drv: Derivation, drvs: Mapping[str, Derivation]) -> set[str]:
    """The wanted outputs of input derivations and the input sources, all of which must be valid."""
    paths = set(drv.input_srcs)
    for input_drv, wanted in drv.input_drvs.items():
        input_outputs = drvs[input_drv].outputs if input_drv in drvs else store.read_derivation(input_drv).outputs
        for name in wanted:
            if name not in input_outputs:
                raise BuildError(f"derivation '{input_drv}' does not have wanted output '{name}'")
            paths.add(input_outputs[name].path)
    for path in paths:
        if not store.is_valid(path):
            raise BuildError(f"input '{path}' of '{drv_path}' is not valid")
    return paths


def _run_builder(store: Store, drv_path: str, drv: Derivation) -> None:
    """Run the builder in a fresh build directory, its output going to the log."""
    if drv.builder == generated_files.BUILDER:
        generated_files.write_files(drv, drv.outputs["out"].path, store.log_path(drv_path))
        if process_image.ATTRIBUTE in drv.env:
            process_image.build_process_image(store, drv, drv.outputs["out"].path, store.log_path(drv_path))
        return
    if drv.builder == profile_env.BUILDER:
        profile_env.build_profile(drv, drv.outputs["out"].path)
        return
    if drv.builder == accounts.BUILDER:
        accounts.build_accounts(drv, drv.outputs["out"].path)
        return
    if drv.builder == store_registration.BUILDER:
        store_registration.build_registration(store, drv, drv.outputs["out"].path)
        return
    if drv.builder == docker_image.BUILDER:
        docker_image.build_image(store, drv, drv.outputs["out"].path, store.log_path(drv_path))
        return
    if drv.builder.startswith("builtin:"):
        raise BuildError(f"unsupported builtin builder '{drv.builder}' in '{drv_path}'")
    if "__json" in drv.env:
        raise BuildError(f"'{drv_path}' uses structured attributes (__structuredAttrs), which are not supported")
    log_path = store.log_path(drv_path)
    build_top = tempfile.mkdtemp(prefix=f"nix-build-{drv.name}-")
    try:
        env = builder_env(drv, build_top, store.store_dir)
        with open(log_path, "wb") as log:
            try:
                process = subprocess.Popen(
                    [drv.builder, *drv.args], env=env, cwd=build_top, stdin=subprocess.DEVNULL,
                    stdout=log, stderr=subprocess.STDOUT, umask=0o022, process_group=0,
                )
            except OSError as e:
                log.write(f"error: executing '{drv.builder}': {e.strerror}\n".encode())
                status = 1
            else:
                try:
                    status = process.wait()
                finally:
                    # Like Nix killing the build user's processes: nothing may keep writing to the outputs.
                    _kill_group(process.pid)
    finally:
        remove_tree(build_top)
    if status != 0:
        how = f"with exit code {status}" if status > 0 else f"due to signal {-status} ({signal.strsignal(-status)})"
        raise BuildError(f"builder for '{drv_path}' failed {how}" + _log_tail(log_path))


def builder_env(drv: Derivation, build_top: str, store_dir: str) -> dict[str, str]:
    """Nix's ``initEnv``: defaults, the derivation's attributes, then what the builder may not override.

    Attributes named in ``passAsFile`` are written to ``.attr-<hash>`` files
    in ``build_top`` and passed as ``<name>Path`` instead.
    """
    env = {
        "PATH": "/path-not-set",
        "HOME": HOMELESS_SHELTER,
        "NIX_STORE": store_dir,
        "NIX_BUILD_CORES": str(os.cpu_count() or 1),
    }
    pass_as_file = set(_tokens(drv.env.get("passAsFile", "")))
    for name, value in drv.env.items():
        if name in pass_as_file:
            file_path = os.path.join(build_top, ".attr-" + hash_bytes("sha256", name).to_string("base32"))
            with open(file_path, "wb") as f:
                f.write(value.encode("utf-8", "surrogateescape"))
            env[name + "Path"] = file_path
        else:
            env[name] = value
    env["NIX_BUILD_TOP"] = build_top
    for name in ("TMPDIR", "TEMPDIR", "TMP", "TEMP", "PWD"):
        env[name] = build_top
    if drv.is_fixed_output:
        env["NIX_OUTPUT_CHECKED"] = "1"
        for name in _tokens(drv.env.get("impureEnvVars", "")):
            env[name] = os.environ.get(name, "")
    env["NIX_LOG_FD"] = "2"
    env["TERM"] = "xterm-256color"
    return env


def _tokens(text: str) -> list[str]:
    """Nix's ``tokenizeString`` with its default separators."""
    return [token for token in _TOKEN_SEPARATORS.split(text) if token]


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _log_tail(log_path: str) -> str:
    with open(log_path, "rb") as f:
        lines = f.read().decode("utf-8", "replace").splitlines()[-LOG_TAIL_LINES:]
    if not lines:
        return ""
    return f"; last {len(lines)} log lines:\n" + "\n".join(f"> {line}" for line in lines)


def _check_fixed_output(drv_path: str, drv: Derivation) -> None:
    """The promised hash must match what was fetched, flat (the file) or recursive (its NAR)."""
    out = drv.outputs["out"]
    recursive = out.hash_algo.startswith("r:")
    algo = out.hash_algo.removeprefix("r:")
    if recursive:
        got = _nar_hash(out.path, algo)
    else:
        st = os.lstat(out.path)
        if not stat.S_ISREG(st.st_mode) or st.st_mode & stat.S_IXUSR:
            raise BuildError(
                f"output path '{out.path}' should be a non-executable regular file since recursive hashing "
                "is not enabled (outputHashMode=flat)"
            )
        got = hash_file(algo, out.path)
    wanted = Hash(algo, bytes.fromhex(out.hash))
    if got != wanted:
        raise BuildError(
            f"hash mismatch in fixed-output derivation '{drv_path}':\n"
            f"  specified: {wanted.to_string('sri')}\n     got:    {got.to_string('sri')}"
        )


def _nar_hash(path: str, algo: str) -> Hash:
    try:
        return nar_hash(path, algo)
    except EvalError as e:
        raise BuildError(e.message) from e


def scan_references(path: str, candidates: Iterable[str], store_dir: str) -> frozenset[str]:
    """The ``candidates`` whose hash part occurs anywhere in ``path``'s NAR, as Nix's ``scanForReferences``.

    Contents, file names and symlink targets all count. Each byte is looked
    at a bounded number of times: only runs of base-32 characters are
    examined, each window of ``HASH_PART_LEN`` once.
    """
    by_hash = {parse_store_path(candidate, store_dir)[0].encode(): candidate for candidate in candidates}
    found: set[str] = set()
    carry = b""
    try:
        for chunk in nar_chunks(path):
            data = carry + chunk
            for run in _HASH_RUN.finditer(data):
                text = run.group()
                for start in range(len(text) - HASH_PART_LEN + 1):
                    candidate = by_hash.get(text[start : start + HASH_PART_LEN])
                    if candidate is not None:
                        found.add(candidate)
            carry = data[-(HASH_PART_LEN - 1) :]
    except EvalError as e:
        raise BuildError(e.message) from e
    return frozenset(found)
