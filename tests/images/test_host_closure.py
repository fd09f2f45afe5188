"""What an image takes from the host: link targets, directories, loaders and libraries, interpreters."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nixproc_disnix.errors import BuildError
from nixproc_disnix.image.host_closure import HostClosure, host_closure
from nixproc_disnix.image.tree import Directory, RegularFile, Symlink


@pytest.fixture
def host(tmp_path: Path) -> Path:
    """A small host: a merged /bin, a script with its interpreter, a data folder with an internal link."""
    root = tmp_path.resolve() / "host"
    (root / "usr/bin").mkdir(parents=True)
    (root / "bin").symlink_to("usr/bin")
    interpreter = root / "usr/bin/interp"
    interpreter.write_text("not ELF, not a script\n")
    interpreter.chmod(0o755)
    tool = root / "usr/bin/tool"
    tool.write_text(f"#!{root}/bin/interp -x\n")
    tool.chmod(0o755)
    (root / "share/data/sub").mkdir(parents=True)
    (root / "share/data/a").write_text("a")
    (root / "share/data/sub/b").write_text("b")
    (root / "share/data/link").symlink_to("sub/b")
    module = root / "share/data/module.py"
    module.write_text("#!/no/such/python\n")
    module.chmod(0o755)
    return root


def test_links_are_followed_through_symlinked_parents_to_files_and_their_interpreters(host: Path) -> None:
    store = {"/s/store/x-pkg/bin/tool": Symlink(f"{host}/bin/tool")}
    tree = host_closure(store, {}, "/s/store", [])
    assert tree[f"{host}/bin/tool"] == Symlink(f"{host}/usr/bin/tool")
    assert tree[f"{host}/usr/bin/tool"] == RegularFile(f"{host}/usr/bin/tool", 0o755)
    # The interpreter is asked for through the symlinked /bin as well.
    assert tree[f"{host}/bin/interp"] == Symlink(f"{host}/usr/bin/interp")
    assert f"{host}/usr/bin/interp" in tree


def test_a_linked_directory_comes_whole_and_its_scripts_are_not_run(host: Path) -> None:
    tree = host_closure({"/s/store/x-pkg/conf": Symlink(f"{host}/share/data")}, {}, "/s/store", [])
    data = f"{host}/share/data"
    assert isinstance(tree[data], Directory)
    assert {f"{data}/a", f"{data}/sub", f"{data}/sub/b", f"{data}/link", f"{data}/module.py"} <= tree.keys()
    assert tree[f"{data}/link"] == Symlink("sub/b")
    assert not any(path.startswith("/no/such") for path in tree), "a library module's #! is not its program"


def test_what_the_store_needs_must_exist(host: Path) -> None:
    with pytest.raises(BuildError, match=rf"host file '{host}/gone', needed by '/s/store/x-pkg/bin/gone', is missing"):
        host_closure({"/s/store/x-pkg/bin/gone": Symlink(f"{host}/gone")}, {}, "/s/store", [])


def test_links_of_the_image_root_into_the_image_itself_are_left_alone(host: Path) -> None:
    root = {"/var/tmp": Symlink("/tmp"), "/tmp": Directory(0o1777), "/etc/conf": Symlink("/s/store/x-conf"),
            "/bin/tool": Symlink(f"{host}/usr/bin/tool"), "/etc/other": Symlink("/no/such/file")}
    tree = host_closure({}, root, "/s/store", [])
    assert "/tmp" not in tree and not any(path.startswith("/s/store") for path in tree)
    assert f"{host}/usr/bin/tool" in tree


def test_elf_files_bring_what_the_loader_lists() -> None:
    env = os.path.realpath("/usr/bin/env")
    tree = host_closure({"/s/store/x/bin/env": Symlink(env)}, {}, "/s/store", [])
    listed = subprocess.run(["ldd", env], capture_output=True, text=True).stdout
    loader = next(word for word in listed.split() if word.startswith("/") and "ld-linux" in word)
    assert loader in tree and any(path.endswith("/libc.so.6") for path in tree)
    real = os.path.realpath(loader)
    assert isinstance(tree[real], RegularFile), "links to the loader are followed to the file"


def test_a_python_interpreter_brings_its_standard_library_without_site_packages() -> None:
    python = os.path.realpath(sys.executable)
    tree = host_closure({"/s/store/x/bin/python3": Symlink(python)}, {}, "/s/store", [])
    library = os.path.dirname(os.__file__)
    assert f"{library}/os.py" in tree and f"{library}/encodings/__init__.py" in tree
    assert f"{library}/site-packages" not in tree and not any("/site-packages/" in path for path in tree)


def test_env_scripts_bring_the_command_env_finds(host: Path) -> None:
    script = host / "usr/bin/by-env"
    script.write_text("#!/usr/bin/env -S interp --flag\n")
    script.chmod(0o755)
    store = {"/s/store/x/bin/by-env": Symlink(str(script))}
    tree = host_closure(store, {}, "/s/store", [f"{host}/usr/bin"])
    assert f"{host}/usr/bin/interp" in tree and "/usr/bin/env" in tree
    with pytest.raises(BuildError, match="runs 'interp' through env, which is not in /nowhere"):
        host_closure(store, {}, "/s/store", ["/nowhere"])


def test_missing_libraries_fail_what_was_asked_for(host: Path) -> None:
    elf = host / "usr/bin/prog"
    elf.write_bytes(b"\x7fELF" + b"\0" * 60)
    elf.chmod(0o755)

    def ldd(argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 0, "\tlibgone.so.1 => not found\n", "")

    closure = HostClosure("/s/store", [], run=ldd)
    with pytest.raises(BuildError, match="needs libraries the host does not have: libgone.so.1"):
        closure.require_for({"/s/store/x/bin/prog": Symlink(str(elf))}, in_store=True)
