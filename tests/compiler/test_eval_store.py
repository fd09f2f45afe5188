"""An evaluator with a store writes what it instantiates; without one it only computes paths."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.errors import EvalError
from nixproc_disnix.store.builder import build
from nixproc_disnix.store.store import Store

# A derivation using a local source tree, a filtered copy, a renamed single file and a toFile script.
EXPR = """
let
  script = builtins.toFile "build.sh" ''
    mkdir $out
    cat $src/greeting $config > $out/result
    ls $filtered > $out/filtered
    cat ${./src/greeting} > $out/interpolated
  '';
in
derivation {
  name = "uses-sources";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-e" script ];
  PATH = "/usr/bin:/bin";
  src = ./src;
  filtered = builtins.filterSource (path: type: baseNameOf path != "secret") ./src;
  config = builtins.path { path = ./src/greeting; name = "config"; recursive = false; };
}
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(str(tmp_path / "root")) as s:
        yield s


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "greeting").write_text("hello from a source\n")
    (tmp_path / "src" / "secret").write_text("filtered out\n")
    return tmp_path


def instantiate(evaluator: Evaluator, workdir: Path) -> dict[str, str]:
    """The derivation's paths, and the store paths of its sources (``src`` is a path value until coerced)."""
    drv = evaluator.force(evaluator.eval_string(EXPR, str(workdir)))
    names = ("drvPath", "outPath", "src", "filtered", "config")
    return {name: str(evaluator.coerce_to_string(drv[name])) for name in names}


def test_store_attached_evaluation_writes_what_it_instantiates_and_builds(store: Store, workdir: Path) -> None:
    paths = instantiate(Evaluator(search_path=[], store=store), workdir)
    for name in ("drvPath", "src", "filtered", "config"):
        assert paths[name].startswith(store.store_dir + "/") and store.is_valid(paths[name]), name
    assert sorted(os.listdir(paths["filtered"])) == ["greeting"]
    assert sorted(os.listdir(paths["src"])) == ["greeting", "secret"]
    assert Path(paths["config"]).read_text() == "hello from a source\n"
    inputs = store.references(paths["drvPath"])
    assert {paths["src"], paths["filtered"], paths["config"]} <= inputs
    assert any(path.endswith("-build.sh") for path in inputs)

    out = build(store, paths["drvPath"])["out"]
    assert out == paths["outPath"]
    assert Path(out, "result").read_text() == "hello from a source\nhello from a source\n"
    assert Path(out, "filtered").read_text() == "greeting\n"
    assert Path(out, "interpolated").read_text() == "hello from a source\n"


def test_paths_are_the_same_with_and_without_a_store(store: Store, workdir: Path) -> None:
    computed = instantiate(Evaluator(search_path=[], store_dir=store.store_dir), workdir)
    assert os.listdir(store.store_dir) == []
    assert instantiate(Evaluator(search_path=[], store=store), workdir) == computed


def test_without_a_store_evaluation_writes_nothing(tmp_path: Path, workdir: Path) -> None:
    store_dir = tmp_path / "never" / "store"
    paths = instantiate(Evaluator(search_path=[], store_dir=str(store_dir)), workdir)
    assert paths["drvPath"].startswith(f"{store_dir}/")
    assert not store_dir.parent.exists()


def test_store_decides_the_store_directory(store: Store, tmp_path: Path) -> None:
    assert Evaluator(store=store).store_dir == store.store_dir
    assert Evaluator(store=store, store_dir=store.store_dir).store_dir == store.store_dir
    with pytest.raises(ValueError, match="is not the store's"):
        Evaluator(store=store, store_dir="/nix/store")
    assert Evaluator().store_dir == "/nix/store"


def test_missing_source_is_an_evaluation_error(store: Store, tmp_path: Path) -> None:
    evaluator = Evaluator(search_path=[], store=store)
    with pytest.raises(EvalError, match="getting status of '.*/missing': No such file or directory"):
        evaluator.eval_string('"${./missing}"', str(tmp_path))
    assert os.listdir(store.store_dir) == []
