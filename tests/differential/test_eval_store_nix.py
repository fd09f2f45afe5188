"""What an evaluator with a store writes, against ``nix-instantiate`` writing into a store of its own.

Both stores share one logical store directory (``NIX_STORE_DIR``; Nix's
files live under its ``--store`` root), so every path and every byte must
agree: the ``.drv`` files, copied sources (plain, filtered, renamed, flat)
and ``toFile`` files.
"""
from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.store.store import Store

EXPR = """
let
  dep = derivation {
    name = "dep";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" "echo dep > $out" ];
    src = ./src;
  };
  notes = builtins.toFile "notes.txt" "made from ${./src/data.txt}";
in
derivation {
  name = "top";
  system = "x86_64-linux";
  builder = "/bin/sh";
  args = [ "-e" (builtins.toFile "builder.sh" "cat $dep $notes > $out") ];
  inherit dep notes;
  filtered = builtins.filterSource (path: type: type != "symlink") ./src;
  renamed = builtins.path { path = ./src; name = "renamed"; filter = path: type: baseNameOf path != "run.sh"; };
  flat = builtins.path { path = ./src/run.sh; recursive = false; };
  drvRef = dep.drvPath;
}
"""


def tree(path: Path) -> dict[str, tuple[str, bytes | str | None]]:
    """What a NAR of ``path`` holds: per entry its type and contents (``!x`` marks executables) or target."""
    def entry(item: Path) -> tuple[str, bytes | str | None]:
        st = item.lstat()
        if stat.S_ISLNK(st.st_mode):
            return "symlink", os.readlink(item)
        if stat.S_ISDIR(st.st_mode):
            return "directory", None
        return "regular", item.read_bytes() + (b"!x" if st.st_mode & 0o100 else b"")

    entries = {"": entry(path)}
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            entries[Path(root, name).relative_to(path).as_posix()] = entry(Path(root, name))
    return entries


def test_store_contents_match_nix_instantiate(nix: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "src").mkdir(parents=True)
    (work / "src" / "data.txt").write_text("data\n")
    (work / "src" / "run.sh").write_text("#!/bin/sh\necho run\n")
    (work / "src" / "run.sh").chmod(0o755)
    (work / "src" / "link").symlink_to("data.txt")
    (work / "model.nix").write_text(EXPR)

    with Store(str(tmp_path / "ours")) as store:
        evaluator = Evaluator(search_path=[], store=store)
        ours = str(evaluator.force(evaluator.force(evaluator.eval_file(str(work / "model.nix")))["drvPath"]))
        our_references = store.references(ours)

    nix_root = tmp_path / "nix"
    env = {**os.environ, "NIX_STORE_DIR": store.store_dir, "NIX_PATH": ""}
    done = subprocess.run([nix, "--store", str(nix_root), str(work / "model.nix")], env=env, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [ours]

    nix_store = nix_root / "nix" / "store"
    theirs = sorted(name for name in os.listdir(nix_store) if not name.startswith("."))
    assert sorted(os.listdir(store.store_dir)) == theirs
    assert len(theirs) == 9  # 2 .drv, 2 toFile, src, filtered, renamed, flat, data.txt
    for name in theirs:
        assert tree(Path(store.store_dir, name)) == tree(nix_store / name), name

    references = subprocess.run(
        ["nix-store", "--store", str(nix_root), "--query", "--references", ours], env=env, capture_output=True,
        text=True, check=True,
    ).stdout.split()
    assert sorted(references) == sorted(our_references)
