"""The test tree itself: pytest imports a test file by its module name (its base name, prefixed by the
packages around it), so two files with one module name clash and stop the whole run."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def module_name(path: Path) -> str:
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def test_test_module_names_are_unique() -> None:
    names = Counter(module_name(path) for path in TESTS.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
