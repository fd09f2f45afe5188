"""write_atomically: the output file is either the old one or the complete new one."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from nixproc_disnix.idassign import write_atomically


def test_creates_the_file(tmp_path: Path) -> None:
    target = tmp_path / "ids.nix"
    write_atomically(target, '{\n  "ids" = {\n  };\n}')
    assert target.read_text() == '{\n  "ids" = {\n  };\n}'
    assert os.listdir(tmp_path) == ["ids.nix"]


def test_replaces_and_keeps_permissions(tmp_path: Path) -> None:
    target = tmp_path / "ids.nix"
    target.write_text("old")
    target.chmod(0o640)
    write_atomically(target, "new")
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o640


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "ids.nix"
    target.write_text("old")

    def broken_replace(source: str, destination: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        write_atomically(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["ids.nix"]


def test_text_is_written_verbatim(tmp_path: Path) -> None:
    target = tmp_path / "ids.xml"
    write_atomically(target, "<ids>\r\n  é\n</ids>")
    assert target.read_bytes() == "<ids>\r\n  é\n</ids>".encode()
