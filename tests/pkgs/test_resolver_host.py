"""``--pkgs host``: packages link the host's programs, built by our builder; missing ones fail only when used."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nixproc_disnix.errors import EvalError, ThrownError
from nixproc_disnix.pkgs.host import search_dirs
from nixproc_disnix.pkgs.package_set import load_table
from nixproc_disnix.store.store import Store
from resolver_sessions import PkgsSession, write_table


@pytest.fixture
def host(store: Store) -> PkgsSession:
    return PkgsSession("host", store)


def use_table(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, packages: dict, aliases: dict | None = None) -> None:
    table = write_table(tmp_path / "host-packages.json", {"packages": packages, "aliases": aliases or {}})
    monkeypatch.setenv("NIXPROC_HOST_PACKAGES", str(table))


def test_coreutils_is_built_and_its_ls_runs(host: PkgsSession, tmp_path: Path) -> None:
    (tmp_path / "listed").mkdir()
    (tmp_path / "listed" / "a-file").write_text("")
    out = host.build("pkgs.coreutils")
    assert os.readlink(out / "bin" / "ls") == shutil.which("ls", path=os.pathsep.join(search_dirs(os.environ["PATH"])))
    done = subprocess.run([str(out / "bin" / "ls"), str(tmp_path / "listed")], capture_output=True, text=True)
    assert done.stdout == "a-file\n"
    assert host.store.references(str(out)) == frozenset()


def test_the_derivation_names_the_host_paths_and_is_the_same_in_every_session(host: PkgsSession, store: Store) -> None:
    drv_path = host.value("pkgs.gnused.drvPath")
    env = store.read_derivation(drv_path).env
    sed = shutil.which("sed", path=os.pathsep.join(search_dirs(os.environ["PATH"])))
    assert env["links"] == f"bin/sed {sed}\n"
    assert env["builder"] == "/bin/sh"
    assert PkgsSession("host", store).value("pkgs.gnused.drvPath") == drv_path


def test_a_rebuild_is_a_no_op(host: PkgsSession) -> None:
    first = host.build("pkgs.gnugrep")
    mtime = os.lstat(first).st_mtime_ns
    assert host.build("pkgs.gnugrep") == first
    assert os.lstat(first).st_mtime_ns == mtime


def test_a_missing_executable_names_the_package_the_executables_and_the_path(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_table(monkeypatch, tmp_path, {"webserver": {"bin": ["no-such-httpd-1", "ls", "no-such-ctl"],
                                                    "alternatives": {"no-such-ctl": ["no-such-ctl2"]}}})
    monkeypatch.setenv("PATH", "/nowhere/bin:/usr/bin")
    with pytest.raises(ThrownError) as caught:
        PkgsSession("host").value("pkgs.webserver.outPath")
    message = caught.value.message
    assert message.startswith("pkgs.webserver needs what the host does not have: "
                              "executable no-such-httpd-1, no-such-ctl or no-such-ctl2 not found in PATH=/nowhere/bin:")
    assert "/usr/local/sbin" in message and "NIXPROC_HOST_PACKAGES" in message
    assert "ls" not in message.split("PATH=")[0].split(": ", 1)[1].split()


def test_the_error_comes_only_when_the_package_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_table(monkeypatch, tmp_path, {"ghost": {"bin": ["no-such-program"]}})
    session = PkgsSession("host")
    assert session.value("pkgs ? ghost && builtins.elem \"ghost\" (builtins.attrNames pkgs)") is True
    assert session.value("pkgs.coreutils.name") == "coreutils"
    assert session.value("(builtins.tryEval pkgs.ghost).success") is False
    with pytest.raises(ThrownError, match="pkgs.ghost needs what the host does not have"):
        session.value("\"${pkgs.ghost}/bin/no-such-program\"")


def test_files_extra_dirs_and_optional_executables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                   store: Store) -> None:
    for version in ("9", "10"):
        bin_dir = tmp_path / "opt" / f"db-{version}" / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "dbd").write_text("#!/bin/sh\n")
        (bin_dir / "dbd").chmod(0o755)
    (tmp_path / "etc-db").mkdir()
    use_table(monkeypatch, tmp_path, {"db": {
        "bin": ["dbd"], "optional_bin": ["no-such-db-tool"],
        "extra_dirs": [f"{tmp_path}/opt/db-*/bin"],
        "files": {"share/db/conf": [f"{tmp_path}/absent", f"{tmp_path}/etc-db"]},
    }})
    out = PkgsSession("host", store).build("pkgs.db")
    assert os.readlink(out / "bin" / "dbd") == f"{tmp_path}/opt/db-10/bin/dbd"
    assert os.readlink(out / "share" / "db" / "conf") == f"{tmp_path}/etc-db"
    assert not os.path.lexists(out / "bin" / "no-such-db-tool")


def test_a_missing_file_is_named_with_its_candidates(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_table(monkeypatch, tmp_path, {"web": {"files": {"conf": ["/no/such/conf", "/nor/this"]}}})
    with pytest.raises(ThrownError, match="pkgs.web needs .*conf: none of /no/such/conf, /nor/this exists"):
        PkgsSession("host").value("pkgs.web.outPath")


def test_python_modules_link_into_site_packages(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, store: Store) -> None:
    python_dir = tmp_path / "python-bin"
    python_dir.mkdir()
    (python_dir / "python3").symlink_to(sys.executable)
    monkeypatch.setenv("PATH", f"{python_dir}{os.pathsep}{os.environ['PATH']}")
    use_table(monkeypatch, tmp_path, {"python3Packages.jsonlib": {"python_modules": ["json"]}})
    out = PkgsSession("host", store).build("pkgs.python3Packages.jsonlib")
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    link = out / "lib" / f"python{version}" / "site-packages" / "json"
    assert (link / "__init__.py").exists()


def test_a_module_no_python3_finds_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_table(monkeypatch, tmp_path, {"python3Packages.nothing": {"python_modules": ["no_such_module_xyz"]}})
    with pytest.raises(ThrownError, match=r"no python3 in PATH=.* finds module no_such_module_xyz \(tried .*python3"):
        PkgsSession("host").value("pkgs.python3Packages.nothing.outPath")


def test_supervisor_has_its_programs_and_python_package(host: PkgsSession) -> None:
    out = host.build("pkgs.python3Packages.supervisor")
    assert os.path.realpath(out / "bin" / "supervisord") == os.path.realpath(shutil.which("supervisord"))
    (site,) = (out / "lib").glob("python3.*/site-packages")
    assert (site / "supervisor" / "supervisord.py").exists()
    assert list(site.glob("supervisor-*-info")), "supervisord's entry point looks up its distribution's metadata"
    assert host.value("pkgs.supervisor.outPath") == str(out)


def test_unknown_names_say_how_to_add_them(host: PkgsSession) -> None:
    with pytest.raises(EvalError, match=r"^pkgs.frobnicator is not in the host package table "
                                        r"\(add it with NIXPROC_HOST_PACKAGES\)$"):
        host.value("pkgs.frobnicator")
    with pytest.raises(EvalError, match="^pkgs.python3Packages.frobnicator is not in the host package table"):
        host.value("pkgs.python3Packages.frobnicator")
    assert host.json("[ (pkgs ? frobnicator) (pkgs.frobnicator or 1) ]") == [False, 1]


def test_the_override_table_replaces_entries_and_adds_aliases(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              store: Store) -> None:
    use_table(monkeypatch, tmp_path, {"coreutils": {"bin": ["true"]}}, aliases={"truthy": "coreutils"})
    session = PkgsSession("host", store)
    out = session.build("pkgs.coreutils")
    assert sorted(os.listdir(out / "bin")) == ["true"]
    assert session.value("pkgs.truthy.outPath == pkgs.coreutils.outPath") is True
    assert session.value("pkgs ? gnused") is True


def test_an_invalid_override_table_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_table(monkeypatch, tmp_path, {}, aliases={"apache": "no-such-package"})
    with pytest.raises(EvalError, match="over the shipped one: alias 'apache' names 'no-such-package', which is not"):
        PkgsSession("host")
    use_table(monkeypatch, tmp_path, {"bad": {"bin": ["../escape"]}})
    with pytest.raises(EvalError, match=r"invalid host package table '.*': packages.bad.bin.0: .*not a file name"):
        PkgsSession("host")


def test_the_shipped_table_is_consistent_and_covers_what_models_use() -> None:
    table = load_table("")
    assert table.problems() == []
    names = {*table.packages, *table.aliases}
    for name in ("coreutils", "bash", "gnused", "gnugrep", "findutils", "inetutils", "procps", "util-linux",
                 "shadow", "su", "nginx", "apacheHttpd", "python3", "python3Packages.supervisor", "supervisor",
                 "s6", "s6-rc", "execline", "daemon", "sysvinit", "docker", "postgresql", "mysql", "mariadb",
                 "redis", "memcached", "openssh", "curl", "gcc", "gnumake", "gnutar", "gzip", "xz", "bzip2", "kmod",
                 "iproute2", "nodejs"):
        assert name in names
