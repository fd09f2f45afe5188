"""Our own store: a directory of immutable paths plus a database of which are valid.

Users often have no Nix, so we keep a store of our own laid out like Nix's:
``<root>/store/<hash>-<name>`` for paths (the store directory is part of every
path's hash, see ``paths``), ``<root>/db.sqlite`` for the valid paths with
their references and deriver, ``<root>/locks/`` for per-path build locks and
``<root>/log/`` for build logs. A path exists for users only once it is
registered valid; registration is one SQLite transaction, so a crash leaves
either a valid path or garbage a later build replaces.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import stat
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from nixproc_disnix.errors import BuildError, EvalError
from nixproc_disnix.store.aterm import parse_derivation
from nixproc_disnix.store.derivation import Derivation
from nixproc_disnix.store.instantiate import InstantiatedDerivation
from nixproc_disnix.store.hashing import hash_file
from nixproc_disnix.store.nar import PathFilter, file_type, nar_hash
from nixproc_disnix.store.paths import DRV_EXTENSION, make_fixed_output_path, make_text_path, parse_store_path
from nixproc_disnix.store.source import source_store_path

STORE_DIR_ENV = "NIXPROC_STORE_DIR"
SYSTEM_ROOT = "/nixproc"
"""Root for the superuser: ``/nixproc/store`` mirrors ``/nix/store`` and stays short,
which matters because store paths end up in ``#!`` lines (limited to 127 bytes
on older kernels)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ValidPaths (
    path TEXT PRIMARY KEY,
    deriver TEXT,
    registration_time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS Refs (
    referrer TEXT NOT NULL REFERENCES ValidPaths(path) ON DELETE CASCADE,
    reference TEXT NOT NULL,
    PRIMARY KEY (referrer, reference)
);
CREATE INDEX IF NOT EXISTS IndexReference ON Refs(reference);
CREATE TABLE IF NOT EXISTS DerivationOutputs (
    drv TEXT NOT NULL REFERENCES ValidPaths(path) ON DELETE CASCADE,
    id TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (drv, id)
);
"""


@dataclass(frozen=True)
class PathRegistration:
    """What the database records for one valid path."""

    path: str
    references: frozenset[str]
    deriver: str | None = None


def default_root() -> str:
    """The store root when none is chosen: per user, or ``SYSTEM_ROOT`` for root."""
    if os.geteuid() == 0:
        return SYSTEM_ROOT
    state_home = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(state_home, "nixproc")


def open_store(store_dir: str | None = None) -> Store:
    """The store chosen by ``--store-dir`` (``store_dir``), else ``NIXPROC_STORE_DIR``, else the default.

    A chosen store directory's parent is the root holding the database, locks
    and logs, as ``/nix`` holds ``/nix/store`` and ``/nix/var``.
    """
    chosen = store_dir or os.environ.get(STORE_DIR_ENV)
    if chosen:
        chosen = os.path.abspath(chosen)
        return Store(os.path.dirname(chosen), chosen)
    return Store(default_root())


class Store:
    """A store root: valid paths, their references, locks, logs.

    While open, a store holds a shared lock on ``gc.lock``: the garbage
    collector takes it exclusively, so it never deletes what an evaluation
    or build in progress has just made and not yet rooted.
    """

    def __init__(self, root: str, store_dir: str | None = None) -> None:
        self.root = os.path.abspath(root)
        self.store_dir = os.path.abspath(store_dir) if store_dir else os.path.join(self.root, "store")
        self.lock_dir = os.path.join(self.root, "locks")
        self.log_dir = os.path.join(self.root, "log")
        try:
            for directory in (self.store_dir, self.lock_dir, self.log_dir):
                os.makedirs(directory, exist_ok=True)
            self._db = sqlite3.connect(os.path.join(self.root, "db.sqlite"), timeout=600, isolation_level=None)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.executescript(_SCHEMA)
            self._gc_lock = os.open(os.path.join(self.root, "gc.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            where = f" ('{error.filename}')" if error.filename and error.filename != self.store_dir else ""
            raise BuildError(f"cannot open the store '{self.store_dir}': {error.strerror}{where}") from None
        except sqlite3.Error as error:
            raise BuildError(f"cannot open the store '{self.store_dir}': its database "
                             f"'{os.path.join(self.root, 'db.sqlite')}': {error}") from None
        fcntl.flock(self._gc_lock, fcntl.LOCK_SH)

    def close(self) -> None:
        """Release the database connection and the collector lock."""
        self._db.close()
        os.close(self._gc_lock)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Be the store's only user (waits for every other open store to close): for the collector."""
        fcntl.flock(self._gc_lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._gc_lock, fcntl.LOCK_SH)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Queries

    def is_valid(self, path: str) -> bool:
        """Whether ``path`` is registered (its contents complete and immutable)."""
        return self._db.execute("SELECT 1 FROM ValidPaths WHERE path = ?", (path,)).fetchone() is not None

    def references(self, path: str) -> frozenset[str]:
        """The store paths ``path`` refers to (possibly itself)."""
        self._check_valid(path)
        rows = self._db.execute("SELECT reference FROM Refs WHERE referrer = ?", (path,))
        return frozenset(row[0] for row in rows)

    def deriver(self, path: str) -> str | None:
        """The ``.drv`` that produced ``path``, if it was built."""
        self._check_valid(path)
        row = self._db.execute("SELECT deriver FROM ValidPaths WHERE path = ?", (path,)).fetchone()
        return row[0]

    def closure(self, paths: Iterable[str]) -> set[str]:
        """``paths`` and everything they reference, transitively."""
        seen: set[str] = set()
        queue = deque(paths)
        while queue:
            path = queue.popleft()
            if path in seen:
                continue
            seen.add(path)
            queue.extend(self.references(path) - seen)
        return seen

    def valid_paths(self) -> list[str]:
        """Every valid path."""
        return [row[0] for row in self._db.execute("SELECT path FROM ValidPaths")]

    def derivation_outputs(self, drv_path: str) -> dict[str, str]:
        """The output paths of a ``.drv`` added with ``add_derivation``, by name, from the database alone.

        Empty when the database does not know them; ``read_derivation`` does.
        """
        rows = self._db.execute("SELECT id, path FROM DerivationOutputs WHERE drv = ?", (drv_path,))
        return dict(rows.fetchall())

    def read_derivation(self, drv_path: str) -> Derivation:
        """Parse a valid ``.drv`` of this store."""
        self._check_valid(drv_path)
        _, base = parse_store_path(drv_path, self.store_dir)
        with open(drv_path, "rb") as f:
            text = f.read().decode("utf-8", "surrogateescape")
        try:
            return parse_derivation(text, base.removesuffix(DRV_EXTENSION), self.store_dir)
        except EvalError as e:
            raise BuildError(f"error parsing derivation '{drv_path}': {e.message}") from e

    def log_path(self, drv_path: str) -> str:
        """Where the build log of ``drv_path`` is kept."""
        return os.path.join(self.log_dir, os.path.basename(drv_path))

    # Adding paths

    def add_text(self, name: str, text: str, references: Iterable[str] = ()) -> str:
        """Add a text file (``builtins.toFile``, a ``.drv``) at the path Nix computes for it."""
        refs = frozenset(references)
        path = make_text_path(name, text, refs, self.store_dir)
        if self.is_valid(path):
            return path
        with self.lock_paths([path]):
            if self.is_valid(path):
                return path
            self.delete_path(path)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.store_dir)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(text.encode("utf-8", "surrogateescape"))
                    f.flush()
                    os.fsync(f.fileno())
                make_read_only(tmp)
                os.replace(tmp, path)
            except BaseException:
                if os.path.lexists(tmp):
                    os.unlink(tmp)
                raise
            self.register([PathRegistration(path, refs)])
        return path

    def add_path(
        self, source: str, name: str | None = None, recursive: bool = True, filter: PathFilter | None = None
    ) -> str:
        """Copy a local file or tree into the store (``"${./dir}"``, ``builtins.path``) at Nix's path for it.

        The copy is hashed, not the source, so a source changing meanwhile
        cannot leave contents that disagree with the path.
        """
        name = name or os.path.basename(source.rstrip("/") or "/")
        expected = source_store_path(source, name, recursive, filter, self.store_dir)
        if self.is_valid(expected):
            return expected
        staging = tempfile.mkdtemp(prefix=".tmp-", dir=self.store_dir)
        try:
            copy = os.path.join(staging, name)
            if recursive:
                _copy_tree(source, copy, filter)
                path = make_fixed_output_path(name, "recursive", nar_hash(copy), store_dir=self.store_dir)
            else:
                shutil.copyfile(source, copy)
                path = make_fixed_output_path(name, "flat", hash_file("sha256", copy), store_dir=self.store_dir)
            with self.lock_paths([path]):
                if not self.is_valid(path):
                    self.delete_path(path)
                    make_read_only(copy)
                    os.replace(copy, path)
                    self.register([PathRegistration(path, frozenset())])
        finally:
            remove_tree(staging)
        return path

    def add_derivation(self, instantiated: InstantiatedDerivation) -> str:
        """Write an instantiated derivation's ``.drv`` so it can be built, and record its outputs.

        Recording the outputs (Nix's ``DerivationOutputs``) lets a build of
        valid outputs stop at the database without reading the ``.drv``.
        """
        drv = instantiated.derivation
        path = self.add_text(drv.name + DRV_EXTENSION, instantiated.aterm, [*drv.input_srcs, *drv.input_drvs])
        if path != instantiated.drv_path:
            raise ValueError(f"derivation '{instantiated.drv_path}' was instantiated for another store directory")
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO DerivationOutputs (drv, id, path) VALUES (?, ?, ?)",
                ((path, name, output.path) for name, output in drv.outputs.items()),
            )
        return path

    def register(self, registrations: Iterable[PathRegistration], registration_time: int | None = None) -> None:
        """Mark paths valid with their references, all or none; registered now unless a time is given."""
        now = int(time.time()) if registration_time is None else registration_time
        with self._transaction():
            for reg in registrations:
                self._db.execute(
                    "INSERT OR REPLACE INTO ValidPaths (path, deriver, registration_time) VALUES (?, ?, ?)",
                    (reg.path, reg.deriver, now),
                )
                self._db.execute("DELETE FROM Refs WHERE referrer = ?", (reg.path,))
                self._db.executemany(
                    "INSERT INTO Refs (referrer, reference) VALUES (?, ?)",
                    ((reg.path, ref) for ref in sorted(reg.references)),
                )

    def invalidate(self, paths: Iterable[str]) -> None:
        """Forget paths (their references and recorded outputs go with them), all or none."""
        with self._transaction():
            self._db.executemany("DELETE FROM ValidPaths WHERE path = ?", ((path,) for path in paths))

    def delete_path(self, path: str) -> None:
        """Remove an invalid path's leftovers (a failed or interrupted build), read-only or not."""
        if self.is_valid(path):
            raise ValueError(f"refusing to delete valid path '{path}'")
        parse_store_path(path, self.store_dir)
        if not os.path.lexists(path):
            return
        remove_tree(path)

    # Locks

    @contextmanager
    def lock_paths(self, paths: Iterable[str]) -> Iterator[None]:
        """Hold an exclusive ``flock`` per path; sorted so two builders never deadlock."""
        with ExitStack() as stack:
            for path in sorted(set(paths)):
                lock_file = os.path.join(self.lock_dir, os.path.basename(path) + ".lock")
                fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
                stack.callback(os.close, fd)
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield

    # Internals

    def _check_valid(self, path: str) -> None:
        if not self.is_valid(path):
            raise BuildError(f"path '{path}' is not valid")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def make_read_only(path: str) -> None:
    """Nix's ``canonicalisePathMetaData``: files 0444 (0555 if executable), directories 0555, mtime 1.

    A fixed mtime keeps outputs reproducible; removing write bits keeps the
    store immutable by accident.
    """
    stack = [path]
    while stack:
        current = stack.pop()
        st = os.lstat(current)
        if stat.S_ISDIR(st.st_mode):
            stack.extend(os.path.join(current, name) for name in os.listdir(current))
        if not stat.S_ISLNK(st.st_mode):
            os.chmod(current, 0o555 if st.st_mode & stat.S_IXUSR else 0o444)
        os.utime(current, (1, 1), follow_symlinks=False)


def remove_tree(path: str) -> None:
    """Delete a file or tree even where a build or ``make_read_only`` removed write permission."""
    if not os.path.isdir(path) or os.path.islink(path):
        os.unlink(path)
        return
    os.chmod(path, 0o700)
    for directory, dirs, _ in os.walk(path):
        for name in dirs:
            child = os.path.join(directory, name)
            if not os.path.islink(child):
                os.chmod(child, 0o700)
    shutil.rmtree(path)


def _copy_tree(source: str, target: str, filter: PathFilter | None) -> None:
    """Copy what a NAR of ``source`` would hold: directories, files with their executable bit, symlinks."""
    stack = [(source, target)]
    while stack:
        src, dst = stack.pop()
        st = os.lstat(src)
        if stat.S_ISDIR(st.st_mode):
            os.mkdir(dst, 0o755)
            for name in os.listdir(src):
                child = os.path.join(src, name)
                if filter is None or filter(child, file_type(os.lstat(child))):
                    stack.append((child, os.path.join(dst, name)))
        elif stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(src), dst)
        elif stat.S_ISREG(st.st_mode):
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o755 if st.st_mode & stat.S_IXUSR else 0o644)
        else:
            raise BuildError(f"file '{src}' has an unsupported type")
