"""Golden outputs for the backend generators: a directory tree per case, as the output would be written.

A golden tree holds each generated file with its content and executable bit
and each symlink with its target, so a reviewer reads the expected output in
the layout upstream produces. Run the tests with ``NIXPROC_UPDATE_GOLDEN=1``
to rewrite the trees after an intended change, then review the diff.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from nixproc_disnix.backends.common.output import GeneratedFile, GeneratedOutput, Symlink

UPDATE = os.environ.get("NIXPROC_UPDATE_GOLDEN") == "1"


def read_tree(root: Path) -> dict[str, GeneratedFile | Symlink]:
    """The entries under ``root`` as a generator would have returned them."""
    entries: dict[str, GeneratedFile | Symlink] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            entries[relative] = Symlink(os.readlink(path))
        elif path.is_file():
            entries[relative] = GeneratedFile(path.read_text(), executable=os.access(path, os.X_OK))
    return entries


def assert_matches_golden(output: GeneratedOutput, root: Path) -> None:
    """``output`` equals the golden tree at ``root`` entry by entry (rewritten first when updating)."""
    if UPDATE:
        shutil.rmtree(root, ignore_errors=True)
        for relative, entry in output.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(entry, Symlink):
                os.symlink(entry.target, path)
            else:
                path.write_text(entry.content)
                path.chmod(entry.mode)
    expected = read_tree(root)
    assert sorted(output) == sorted(expected)
    for relative in expected:
        assert output[relative] == expected[relative], relative
