"""Real builds with ``/bin/sh`` builders into a temporary store."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

import nixproc_disnix
from nixproc_disnix.errors import BuildError
from nixproc_disnix.store.builder import build, scan_references
from nixproc_disnix.store.hashing import Hash, hash_bytes
from nixproc_disnix.store.instantiate import DerivationRequest, InstantiatedDerivation, instantiate_derivation
from nixproc_disnix.store.modulo import DrvHashes
from nixproc_disnix.store.nar import nar_hash
from nixproc_disnix.store.paths import IngestionMethod
from nixproc_disnix.store.source import source_store_path
from nixproc_disnix.store.store import Store, open_store

SYSTEM = "x86_64-linux"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(str(tmp_path / "root")) as s:
        yield s


@pytest.fixture
def hashes(store: Store) -> DrvHashes:
    return DrvHashes(store.store_dir)


def derivation(
    store: Store,
    hashes: DrvHashes,
    name: str,
    script: str,
    env: Mapping[str, str] | None = None,
    outputs: Sequence[str] = ("out",),
    inputs: Sequence[InstantiatedDerivation] = (),
    fixed: tuple[IngestionMethod, Hash] | None = None,
) -> InstantiatedDerivation:
    """A ``/bin/sh -c script`` derivation, written to the store; ``inputs`` are referred to by name.

    ``PATH`` is set as a derivation attribute (Nix lets attributes override its
    ``/path-not-set``) so scripts can use the host's coreutils.
    """
    attrs = {"name": name, "builder": "/bin/sh", "system": SYSTEM, "PATH": "/usr/bin:/bin", **(env or {})}
    attrs.update({dep.derivation.name: dep.output_paths["out"] for dep in inputs})
    if len(outputs) > 1:
        attrs["outputs"] = " ".join(outputs)
    request = DerivationRequest(
        name, SYSTEM, "/bin/sh", attrs, ("-c", script), tuple(outputs),
        input_drvs={dep.drv_path: ["out"] for dep in inputs},
        output_hash=fixed[1].to_string("base16") if fixed else None,
        output_hash_algo=fixed[1].algo if fixed else "",
        output_hash_mode=fixed[0] if fixed else None,
    )
    inst = instantiate_derivation(request, hashes)
    store.add_derivation(inst)
    return inst


def test_single_output(store: Store, hashes: DrvHashes) -> None:
    drv = derivation(store, hashes, "hello", 'echo "hello from $name" > "$out"')
    out = drv.output_paths["out"]
    assert build(store, drv.drv_path) == {"out": out}
    assert Path(out).read_text() == "hello from hello\n"
    assert store.is_valid(out)
    assert store.references(out) == frozenset()
    assert store.deriver(out) == drv.drv_path


def test_environment_is_nixs(store: Store, hashes: DrvHashes) -> None:
    names = "PATH HOME NIX_STORE NIX_LOG_FD TERM NIX_BUILD_TOP TMPDIR PWD"
    script = f'for v in {names}; do eval "echo $v=\\$$v"; done > "$out"'
    drv = derivation(store, hashes, "env", script, env={"PATH": "/overridden", "TMPDIR": "/not-allowed"})
    env = dict(line.split("=", 1) for line in Path(build(store, drv.drv_path)["out"]).read_text().splitlines())
    assert env["PATH"] == "/overridden"
    assert env["HOME"] == "/homeless-shelter"
    assert env["NIX_STORE"] == store.store_dir
    assert env["NIX_LOG_FD"] == "2"
    assert env["TERM"] == "xterm-256color"
    assert env["TMPDIR"] == env["PWD"] == env["NIX_BUILD_TOP"] != "/not-allowed"
    assert not os.path.exists(env["NIX_BUILD_TOP"]), "the build directory is removed afterwards"


def test_multiple_outputs(store: Store, hashes: DrvHashes) -> None:
    drv = derivation(
        store, hashes, "multi", 'mkdir "$dev" && echo "$out" > "$dev/out-path" && echo lib > "$out"',
        outputs=("out", "dev"),
    )
    paths = build(store, drv.drv_path)
    assert paths == drv.output_paths
    assert paths["dev"].endswith("-multi-dev")
    assert Path(paths["out"]).read_text() == "lib\n"
    assert store.references(paths["dev"]) == {paths["out"]}
    assert store.references(paths["out"]) == frozenset()


def test_dependency_chain(store: Store, hashes: DrvHashes) -> None:
    a = derivation(store, hashes, "a", 'echo "a says hi" > "$out"')
    unused = derivation(store, hashes, "unused", 'echo unused > "$out"')
    b = derivation(store, hashes, "b", 'cat "$a" > "$out" && echo "$a" >> "$out"', inputs=[a, unused])
    c = derivation(store, hashes, "c", 'mkdir "$out" && ln -s "$b" "$out/b"', inputs=[b])
    out_c = build(store, c.drv_path)["out"]
    out_a, out_b = a.output_paths["out"], b.output_paths["out"]
    assert Path(out_b).read_text() == f"a says hi\n{out_a}\n"
    assert store.references(out_b) == {out_a}, "an input the output does not mention is no reference"
    assert store.references(out_c) == {out_b}, "symlink targets count"
    assert store.closure([out_c]) == {out_a, out_b, out_c}
    assert store.is_valid(unused.output_paths["out"])


def test_self_reference(store: Store, hashes: DrvHashes) -> None:
    drv = derivation(store, hashes, "self", 'echo "I live at $out" > "$out"')
    out = build(store, drv.drv_path)["out"]
    assert store.references(out) == {out}
    assert store.closure([out]) == {out}


def test_pass_as_file(store: Store, hashes: DrvHashes) -> None:
    text = "line one\n$HOME is not expanded\n"
    drv = derivation(
        store, hashes, "paf", 'cat "$textPath" > "$out"; echo "${text-unset} ${other}" >> "$out"',
        env={"text": text, "other": "plain", "passAsFile": "text missing"},
    )
    out = build(store, drv.drv_path)["out"]
    assert Path(out).read_text() == text + "unset plain\n"


def test_failure_leaves_nothing(store: Store, hashes: DrvHashes) -> None:
    script = 'mkdir "$out" && echo partial > "$out/file" && chmod -w "$out"; echo first; echo "it broke" >&2; exit 3'
    drv = derivation(store, hashes, "broken", script)
    out = drv.output_paths["out"]
    with pytest.raises(BuildError) as e:
        build(store, drv.drv_path)
    first, *tail = e.value.message.splitlines()
    assert first == f"builder for '{drv.drv_path}' failed with exit code 3; last 2 log lines:"
    assert tail == ["> first", "> it broke"]
    assert not os.path.lexists(out)
    assert not store.is_valid(out)
    assert Path(store.log_path(drv.drv_path)).read_text() == "first\nit broke\n"


def test_failed_input_stops_dependents(store: Store, hashes: DrvHashes) -> None:
    a = derivation(store, hashes, "a", "exit 1")
    b = derivation(store, hashes, "b", 'echo b > "$out"', inputs=[a])
    with pytest.raises(BuildError, match=f"builder for '{a.drv_path}' failed"):
        build(store, b.drv_path)
    assert not store.is_valid(b.output_paths["out"])


def test_missing_output(store: Store, hashes: DrvHashes) -> None:
    drv = derivation(store, hashes, "lazy", 'echo "$dev" > "$out"', outputs=("out", "dev"))
    with pytest.raises(BuildError, match="failed to produce output path for output 'dev'"):
        build(store, drv.drv_path)
    assert not any(os.path.lexists(path) for path in drv.output_paths.values())


def test_missing_builder(store: Store, hashes: DrvHashes) -> None:
    request = DerivationRequest("nobuilder", SYSTEM, "/nonexistent/sh", {"name": "nobuilder"})
    drv = instantiate_derivation(request, hashes)
    store.add_derivation(drv)
    with pytest.raises(BuildError, match="> error: executing '/nonexistent/sh': No such file or directory"):
        build(store, drv.drv_path)


def test_no_rebuild(store: Store, hashes: DrvHashes, tmp_path: Path) -> None:
    counter = tmp_path / "runs"
    a = derivation(store, hashes, "a", 'echo a >> "$counter" && echo a > "$out"', env={"counter": str(counter)})
    b = derivation(
        store, hashes, "b", 'echo b >> "$counter" && cat "$a" > "$out"', env={"counter": str(counter)}, inputs=[a]
    )
    out = build(store, b.drv_path)["out"]
    before = os.stat(out)
    assert build(store, b.drv_path) == {"out": out}
    assert build(store, a.drv_path) == a.output_paths
    after = os.stat(out)
    assert counter.read_text() == "a\nb\n"
    assert (after.st_ino, after.st_mtime_ns, after.st_ctime_ns) == (
        before.st_ino, before.st_mtime_ns, before.st_ctime_ns
    )


def test_concurrent_builds_of_one_path(store: Store, hashes: DrvHashes, tmp_path: Path) -> None:
    counter = tmp_path / "runs"
    drv = derivation(
        store, hashes, "slow", 'echo run >> "$counter"; sleep 1; mkdir "$out"; echo done > "$out/result"',
        env={"counter": str(counter)},
    )
    program = (
        "import sys\n"
        "from nixproc_disnix.store.builder import build\n"
        "from nixproc_disnix.store.store import Store\n"
        "print(build(Store(sys.argv[1]), sys.argv[2])['out'])\n"
    )
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(nixproc_disnix.__file__))}
    builders = [
        subprocess.Popen(
            [sys.executable, "-c", program, store.root, drv.drv_path], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=60)[0].strip() for p in builders]
    assert [p.returncode for p in builders] == [0, 0]
    assert results == [drv.output_paths["out"]] * 2
    assert counter.read_text() == "run\n"
    assert Path(results[0], "result").read_text() == "done\n"


def test_outputs_are_read_only(store: Store, hashes: DrvHashes) -> None:
    script = (
        'mkdir -p "$out/bin" "$out/share/doc" && echo "#!/bin/sh" > "$out/bin/tool" && chmod 0775 "$out/bin/tool"'
        ' && echo doc > "$out/share/doc/README" && chmod 0666 "$out/share/doc/README" && ln -s bin/tool "$out/link"'
    )
    out = Path(build(store, derivation(store, hashes, "tree", script).drv_path)["out"])
    modes = {
        str(path.relative_to(out)): stat.S_IMODE(path.lstat().st_mode)
        for path in [out, *out.rglob("*")] if not path.is_symlink()
    }
    assert modes == {
        ".": 0o555, "bin": 0o555, "bin/tool": 0o555, "share": 0o555, "share/doc": 0o555, "share/doc/README": 0o444
    }
    assert {path.lstat().st_mtime for path in [out, *out.rglob("*")]} == {1.0}
    if os.geteuid() != 0:
        with pytest.raises(PermissionError):
            (out / "new").write_text("x")


def test_fixed_output_flat(store: Store, hashes: DrvHashes) -> None:
    good = derivation(store, hashes, "fetched", 'echo hello > "$out"', fixed=("flat", hash_bytes("sha256", "hello\n")))
    out = build(store, good.drv_path)["out"]
    assert Path(out).read_text() == "hello\n"
    assert store.is_valid(out)

    wrong = hash_bytes("sha256", "something else")
    bad = derivation(store, hashes, "fetched", 'echo hello > "$out"; echo "$NIX_OUTPUT_CHECKED"', fixed=("flat", wrong))
    with pytest.raises(BuildError) as e:
        build(store, bad.drv_path)
    assert e.value.message.splitlines() == [
        f"hash mismatch in fixed-output derivation '{bad.drv_path}':",
        f"  specified: {wrong.to_string('sri')}",
        f"     got:    {hash_bytes('sha256', 'hello' + chr(10)).to_string('sri')}",
    ]
    assert not os.path.lexists(bad.output_paths["out"])


def test_fixed_output_recursive(store: Store, hashes: DrvHashes, tmp_path: Path) -> None:
    expected = tmp_path / "expected"
    expected.mkdir()
    (expected / "file").write_text("contents\n")
    script = 'mkdir "$out" && echo contents > "$out/file"'
    drv = derivation(store, hashes, "tree", script, fixed=("recursive", nar_hash(str(expected))))
    out = build(store, drv.drv_path)["out"]
    assert Path(out, "file").read_text() == "contents\n"

    (expected / "extra").write_text("")
    bad = derivation(store, hashes, "tree2", script, fixed=("recursive", nar_hash(str(expected))))
    with pytest.raises(BuildError, match="hash mismatch in fixed-output derivation"):
        build(store, bad.drv_path)
    assert not os.path.lexists(bad.output_paths["out"])


def test_scan_references_across_chunks(store: Store, tmp_path: Path) -> None:
    wanted = f"{store.store_dir}/{'1' * 32}-dep"
    other = f"{store.store_dir}/{'2' * 32}-other"
    target = tmp_path / "big"
    target.write_bytes(b"x" * 65530 + wanted.encode() + b"abc" * 100_000 + ("zz" + "2" * 31).encode())
    assert scan_references(str(target), [wanted, other], store.store_dir) == {wanted}


def test_open_store_honours_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIXPROC_STORE_DIR", str(tmp_path / "custom" / "store"))
    with open_store() as s:
        assert (s.store_dir, s.root) == (str(tmp_path / "custom" / "store"), str(tmp_path / "custom"))
    with open_store(str(tmp_path / "other")) as s:
        assert s.store_dir == str(tmp_path / "other")


def test_killed_builder(store: Store, hashes: DrvHashes) -> None:
    drv = derivation(store, hashes, "killed", 'echo "about to die"; kill -9 $$')
    with pytest.raises(BuildError, match=r"failed due to signal 9 \(Killed\); last 1 log lines:\n> about to die$"):
        build(store, drv.drv_path)


def test_add_path_and_use_as_input_source(store: Store, hashes: DrvHashes, source_tree: Path) -> None:
    src = store.add_path(str(source_tree))
    assert src == source_store_path(str(source_tree), store_dir=store.store_dir)
    assert store.is_valid(src) and store.references(src) == frozenset()
    assert os.readlink(os.path.join(src, "dangling")) == "../nowhere"
    assert stat.S_IMODE(os.stat(os.path.join(src, "run.sh")).st_mode) == 0o555
    assert store.add_path(str(source_tree)) == src

    attrs = {"name": "uses-src", "builder": "/bin/sh", "system": SYSTEM, "PATH": "/usr/bin:/bin", "src": src}
    request = DerivationRequest(
        "uses-src", SYSTEM, "/bin/sh", attrs, ("-c", 'cat "$src/file.txt" > "$out"; echo "$src" >> "$out"'),
        input_srcs=[src],
    )
    drv = instantiate_derivation(request, hashes)
    store.add_derivation(drv)
    out = build(store, drv.drv_path)["out"]
    assert Path(out).read_text() == f"hello\n{src}\n"
    assert store.closure([out]) == {out, src}


def test_add_path_filtered_and_flat(store: Store, source_tree: Path) -> None:
    def no_sub(path: str, kind: str) -> bool:
        return not path.endswith("/sub")

    filtered = store.add_path(str(source_tree), "filtered", filter=no_sub)
    assert filtered == source_store_path(str(source_tree), "filtered", filter=no_sub, store_dir=store.store_dir)
    assert not os.path.lexists(os.path.join(filtered, "sub"))
    flat = store.add_path(str(source_tree / "run.sh"), recursive=False)
    assert flat == source_store_path(str(source_tree / "run.sh"), recursive=False, store_dir=store.store_dir)
    assert stat.S_IMODE(os.stat(flat).st_mode) == 0o444
