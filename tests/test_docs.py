"""docs/: the command pages are what docs/generate.py makes of the click definitions now, and every backend has a page."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from nixproc_disnix.model.process import PROCESS_MANAGERS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def generated_files(root: Path) -> dict[str, str]:
    files = [root / "README.md", *sorted((root / "commands").glob("*.md"))]
    return {str(path.relative_to(root)): path.read_text() for path in files if path.exists()}


def test_the_committed_pages_are_the_generated_ones(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generate  # its dataclasses look their module up
    spec.loader.exec_module(generate)
    generate.generate(tmp_path)
    fresh = generated_files(tmp_path)
    committed = generated_files(DOCS)
    assert sorted(committed) == sorted(fresh), "pages added or removed: run `python docs/generate.py` and commit"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert stale == [], f"{stale} differ from the click definitions: run `python docs/generate.py` and commit"


def test_every_backend_has_a_page_saying_what_is_tested_for_real() -> None:
    for manager in PROCESS_MANAGERS:
        page = (DOCS / "backends" / f"{manager}.md").read_text()
        assert page.startswith(f"# {manager}\n") and "## What the generator writes" in page, manager
        assert "## Tested here" in page, manager
    index = (DOCS / "README.md").read_text()
    assert all(f"(backends/{manager}.md)" in index for manager in PROCESS_MANAGERS)
