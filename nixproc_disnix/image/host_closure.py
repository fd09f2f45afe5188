"""The host files an image needs besides store paths: what ``--pkgs host`` packages stand for.

A host package is a store path of symbolic links into the host (``bin/nginx``
→ ``/usr/sbin/nginx``, ``conf`` → ``/etc/nginx``); copying the store path
alone would give an image of dangling links. So the image also gets the
host's files, at the same absolute paths, and transitively what they need
to run:

- symbolic links are kept and followed, directories copied whole (the data
  folders the host package table names);
- a path reached through a symlinked parent (``/lib`` → ``usr/lib`` on
  merged-/usr systems) becomes a link to its real location, so every path a
  program or the loader asks for exists;
- ELF files bring the shared libraries and the interpreter the loader's own
  list (``ldd``) names;
- executable scripts bring their ``#!`` interpreter (``/usr/bin/env NAME`` brings
  ``NAME`` found on the search path too);
- a Python interpreter brings its standard library, without
  ``site-packages`` and the parts only development uses: packages bring
  their own modules through the links the resolver made.
"""
from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Container, Iterable, Mapping

from nixproc_disnix.errors import BuildError
from nixproc_disnix.image.tree import Directory, Entry, RegularFile, Symlink, Tree
from nixproc_disnix.pkgs.host import find_executable

PROBE_TIMEOUT = 60
ELF_MAGIC = b"\x7fELF"
PYTHON_INTERPRETER = re.compile(r"python\d+(\.\d+)*\Z")
PYTHON_DEVELOPMENT_ONLY = frozenset({"site-packages", "dist-packages", "test", "idlelib", "turtledemo", "ensurepip"})
"""Parts of a Python standard library no program runs from (``config-*`` too: the static library)."""

_LDD_PATH = re.compile(r"(?:=>\s*|^\s*)(/\S+)\s+\(0x[0-9a-f]+\)\s*$")
_LDD_MISSING = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")
_PYTHON_PROBE = "import json, sysconfig; print(json.dumps(sorted({sysconfig.get_path('stdlib'), sysconfig.get_path('platstdlib')})))"

Run = Callable[[list[str]], subprocess.CompletedProcess[str]]


def run_probe(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a host program to learn what a file needs (``ldd``, a Python asked for its library)."""
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT, stdin=subprocess.DEVNULL,
                              env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"})
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BuildError(f"cannot run '{argv[0]}' to find what '{argv[-1]}' needs: {error}") from None


class HostClosure:
    """The host files reachable from what the image's other layers hold; ``tree`` is their layer.

    ``store_dir`` paths are never taken from the host (the store layer has
    them); ``search_dirs`` resolve ``#!/usr/bin/env NAME`` interpreters.
    """

    def __init__(self, store_dir: str, search_dirs: list[str], run: Run = run_probe) -> None:
        self.store_dir = store_dir.rstrip("/")
        self.search_dirs = search_dirs
        self.run = run
        self.tree: Tree = {}
        self._excluded: set[str] = set()
        self._queue: deque[tuple[str, str, bool, bool]] = deque()

    def require_for(self, tree: Mapping[str, Entry], *, in_store: bool, image: Container[str] = ()) -> None:
        """Take from the host what the entries of another layer need.

        A store path's absolute link must reach an existing host file; a link
        of the image's own root may point into the image (a path of ``image``),
        so it is only followed to what the image lacks and the host has.
        """
        for path, entry in tree.items():
            if isinstance(entry, Symlink) and entry.target.startswith("/") and not self._in_store(entry.target):
                if in_store or (entry.target not in image and os.path.lexists(entry.target)):
                    self._want(entry.target, path, required=True)
            elif isinstance(entry, RegularFile):
                for needed, scan in self._needs(entry.source, entry.mode, required=True):
                    self._want(needed, path, required=True, scan=scan)
        self._close()

    def _want(self, path: str, wanted_by: str, required: bool, scan: bool = True) -> None:
        """Queue ``path``; ``scan`` False for what the loader listed, whose own libraries it listed too."""
        self._queue.append((os.path.normpath(path), wanted_by, required, scan))

    def _in_store(self, path: str) -> bool:
        return path == self.store_dir or path.startswith(self.store_dir + "/")

    def _close(self) -> None:
        """Add everything wanted, and what that wants in turn.

        What a directory holds is taken as it is: its libraries bring what
        they link, but its scripts are not run for being there (their
        interpreters are not added), and what is missing (a library's
        optional dependency) does not fail the build, as it would when
        something asked for it.
        """
        while self._queue:
            files: list[tuple[str, int, bool]] = []
            while self._queue:
                self._take(*self._queue.popleft(), files)
            # Finding what the files of this round need runs a program per file: in parallel, results in order.
            with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                needs = list(pool.map(lambda file: self._needs(*file), files))
            for (path, _, required), needed in zip(files, needs, strict=True):
                for needed_path, scan in needed:
                    self._want(needed_path, path, required, scan)

    def _take(self, path: str, wanted_by: str, required: bool, scan: bool, files: list[tuple[str, int, bool]]) -> None:
        """Add ``path`` (and queue what it leads to); a regular file to ``scan`` goes to ``files``."""
        if path in self.tree or path in self._excluded or path == "/" or self._in_store(path):
            return
        parent, name = os.path.split(path)
        real = os.path.join(os.path.realpath(parent), name)
        if real != path:
            self.tree[path] = Symlink(real)
            self._want(real, wanted_by, required, scan)
            return
        try:
            st = os.lstat(path)
        except OSError as error:
            if required:
                raise BuildError(f"host file '{path}', needed by '{wanted_by}', is missing: {error.strerror}") from None
            return
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(path)
            self.tree[path] = Symlink(target)
            self._want(os.path.join(parent, target), path, required, scan)
        elif stat.S_ISDIR(st.st_mode):
            self.tree[path] = Directory(stat.S_IMODE(st.st_mode))
            for child in sorted(os.listdir(path)):
                self._want(os.path.join(path, child), wanted_by, required=False)
        elif stat.S_ISREG(st.st_mode):
            self.tree[path] = RegularFile(path, stat.S_IMODE(st.st_mode))
            if scan:
                files.append((path, st.st_mode, required))

    def _needs(self, path: str, mode: int, required: bool) -> list[tuple[str, bool]]:
        """What running or loading the file at ``path`` takes: its libraries and loader, or its interpreter.

        Each comes with whether it needs scanning in turn: the loader's list
        is complete (it resolved each library's own dependencies, with the
        search path of the program), so the libraries on it need none.

        Only an executable script is run by its ``#!`` line (modules of a
        library often start with one); shared libraries need not be executable.
        """
        try:
            with open(path, "rb") as handle:
                head = handle.read(256)
        except OSError as error:
            raise BuildError(f"cannot read '{path}': {error.strerror}") from None
        if head.startswith(ELF_MAGIC):
            needed = [(library, False) for library in self._shared_libraries(path, required)]
            if required and PYTHON_INTERPRETER.match(os.path.basename(path)):
                needed += [(library, True) for library in self._python_library(path)]
            return needed
        if head.startswith(b"#!") and mode & 0o111 and required:
            return [(interpreter, True) for interpreter in self._interpreter(path, head)]
        return []

    def _shared_libraries(self, path: str, required: bool) -> list[str]:
        """The libraries and loader ``ldd`` lists for ``path`` (none for a static or foreign file)."""
        result = self.run(["ldd", path])
        output = result.stdout + result.stderr
        if result.returncode != 0:
            if required and "not a dynamic executable" not in output and "statically linked" not in output:
                raise BuildError(f"ldd cannot list the libraries of '{path}': {output.strip()}")
            return []
        missing = [match.group(1) for line in output.splitlines() if (match := _LDD_MISSING.match(line))]
        if missing and required:
            raise BuildError(f"'{path}' needs libraries the host does not have: {', '.join(missing)}")
        return [match.group(1) for line in output.splitlines() if (match := _LDD_PATH.search(line))]

    def _python_library(self, python: str) -> list[str]:
        """The standard library of the interpreter ``python``; what only development uses is excluded."""
        result = self.run([python, "-S", "-I", "-c", _PYTHON_PROBE])
        try:
            libraries = json.loads(result.stdout) if result.returncode == 0 else None
        except json.JSONDecodeError:
            libraries = None
        if not isinstance(libraries, list):
            raise BuildError(f"cannot ask '{python}' where its standard library is: {result.stderr.strip()}")
        for library in libraries:
            self._excluded.update(
                os.path.join(library, name) for name in os.listdir(library)
                if name in PYTHON_DEVELOPMENT_ONLY or name.startswith("config-")
            )
        return libraries

    def _interpreter(self, path: str, head: bytes) -> list[str]:
        """The ``#!`` interpreter; for ``env NAME`` also ``NAME`` as found on the search path."""
        words = head[2:].split(b"\n", 1)[0].decode("utf-8", "surrogateescape").split()
        if not words:
            return []
        needed = [words[0]]
        if os.path.basename(words[0]) == "env":
            command = next((word for word in words[1:] if not word.startswith("-") and "=" not in word), None)
            found = find_executable([command], self.search_dirs) if command else None
            if command and found is None:
                raise BuildError(f"'{path}' runs '{command}' through env, which is not in {':'.join(self.search_dirs)}")
            needed += [found] if found else []
        return needed


def host_closure(store_tree: Tree, root_tree: Tree, store_dir: str, search_dirs: list[str]) -> Tree:
    """The host layer for an image of the store paths ``store_tree`` and the root ``root_tree``."""
    closure = HostClosure(store_dir, search_dirs)
    closure.require_for(store_tree, in_store=True)
    closure.require_for(root_tree, in_store=False, image=root_tree.keys() | store_tree.keys())
    return closure.tree
