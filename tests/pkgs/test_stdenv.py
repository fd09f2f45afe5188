"""stdenv.mkDerivation with our generic builder and the host's tools."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import nixproc_disnix
from nixproc_disnix.errors import BuildError
from nixproc_disnix.store.store import Store
from pkgs_builds import PRELUDE, Builds, hello_source, run

needs_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="needs the host's C compiler (cc)")


@needs_cc
def test_c_program_from_a_source_directory(builds: Builds) -> None:
    hello_source(builds.workdir / "hello", with_build_system=False)
    out = builds.build("""
      stdenv.mkDerivation {
        pname = "hello";
        version = "1.0";
        src = ./hello;
        buildPhase = "cc -DGREETING='\\"Hello\\"' -o hello hello.c";
        installPhase = ''
          mkdir -p $out/bin
          cp hello $out/bin/
        '';
      }
    """)
    assert out.name.endswith("-hello-1.0")
    assert run(out / "bin" / "hello", "store") == b"Hello, store!\n"


@needs_cc
@pytest.mark.parametrize("compression", ["gz", "xz", "bz2"])
def test_c_program_from_a_tarball_with_configure_and_make(builds: Builds, compression: str) -> None:
    source = hello_source(builds.workdir / "src" / "hello-2.0", with_build_system=True)
    with tarfile.open(builds.workdir / f"hello-2.0.tar.{compression}", f"w:{compression}") as tar:
        tar.add(source, arcname="hello-2.0")
    out = builds.build(f"""
      stdenv.mkDerivation {{
        name = "hello-2.0";
        src = ./hello-2.0.tar.{compression};
        configureFlags = [ "--greeting=Howdy" ];
        doCheck = true;
        postCheck = "grep -q Howdy check.out";
      }}
    """)
    assert run(out / "bin" / "hello") == b"Howdy, world!\n"


def test_phases_run_in_order_with_hooks_and_overrides(builds: Builds) -> None:
    (builds.workdir / "src").mkdir()
    (builds.workdir / "src" / "input").write_text("from the source\n")
    out = builds.build("""
      stdenv.mkDerivation {
        name = "phases";
        src = ./src;
        preUnpack = "echo preUnpack >> $NIX_BUILD_TOP/log";
        postUnpack = "echo postUnpack >> $NIX_BUILD_TOP/log";
        preConfigure = "echo preConfigure >> $NIX_BUILD_TOP/log";
        buildPhase = "echo buildPhase >> $NIX_BUILD_TOP/log";
        preInstall = "echo preInstall >> $NIX_BUILD_TOP/log";
        installPhase = ''
          runHook preInstall
          mkdir $out
          cp input $out/
          echo installPhase >> $NIX_BUILD_TOP/log
          runHook postInstall
        '';
        postInstall = "echo postInstall >> $NIX_BUILD_TOP/log";
        preFixupPhases = [ "customPhase" ];
        customPhase = "echo customPhase >> $NIX_BUILD_TOP/log";
        postFixup = "cp $NIX_BUILD_TOP/log $out/log";
      }
    """)
    assert (out / "input").read_text() == "from the source\n"
    assert (out / "log").read_text().split() == [
        "preUnpack", "postUnpack", "preConfigure", "buildPhase", "preInstall", "installPhase", "postInstall",
        "customPhase",
    ]


def test_explicit_phases_and_dont_flags(builds: Builds) -> None:
    out = builds.build("""
      stdenv.mkDerivation {
        name = "no-source";
        dontUnpack = true;
        dontBuild = true;
        installPhase = "mkdir $out; echo installed > $out/result";
      }
    """)
    assert (out / "result").read_text() == "installed\n"
    out = builds.build("""
      stdenv.mkDerivation {
        name = "only-mine";
        phases = [ "first" "second" ];
        first = "echo one > $NIX_BUILD_TOP/x";
        second = "mkdir $out; cat $NIX_BUILD_TOP/x > $out/result";
      }
    """)
    assert (out / "result").read_text() == "one\n"


def test_patches(builds: Builds) -> None:
    (builds.workdir / "src").mkdir()
    (builds.workdir / "src" / "greeting").write_text("hello\n")
    (builds.workdir / "change.patch").write_text(
        "--- a/greeting\n+++ b/greeting\n@@ -1 +1 @@\n-hello\n+patched hello\n"
    )
    out = builds.build("""
      stdenv.mkDerivation {
        name = "patched";
        src = ./src;
        patches = [ ./change.patch ];
        installPhase = "mkdir $out; cp greeting $out/";
      }
    """)
    assert (out / "greeting").read_text() == "patched hello\n"


@needs_cc
def test_build_inputs_come_before_the_host_path(builds: Builds) -> None:
    out = builds.build("""
      let
        tools = runCommand "tools" { } ''
          mkdir -p $out/bin
          printf '#!/bin/sh\\necho from-input-cat\\n' > $out/bin/cat
          chmod +x $out/bin/cat
        '';
        helper = runCommand "helper" { } ''
          mkdir -p $out/bin
          printf '#!/bin/sh\\necho helper\\n' > $out/bin/helper
          chmod +x $out/bin/helper
        '';
        # Propagates helper to whatever uses it, and brings a setup hook.
        library = stdenv.mkDerivation {
          name = "library";
          dontUnpack = true;
          propagatedBuildInputs = [ helper ];
          setupHook = builtins.toFile "hook.sh" "libraryHook() { echo hooked-@name@; }";
          installPhase = "mkdir -p $out/include; echo '#define LIBRARY 42' > $out/include/library.h";
        };
      in
      stdenv.mkDerivation {
        name = "uses-inputs";
        dontUnpack = true;
        nativeBuildInputs = [ tools ];
        buildInputs = [ library ];
        installPhase = ''
          mkdir $out
          cat > $out/cat
          helper > $out/helper
          libraryHook > $out/hook
          echo '#include <library.h>
          int main(void) { return LIBRARY == 42 ? 0 : 1; }' > main.c
          command cc main.c -o $out/uses-header
          echo "$PATH" > $out/path
        '';
      }
    """)
    assert (out / "cat").read_text() == "from-input-cat\n"
    assert (out / "helper").read_text() == "helper\n"
    assert (out / "hook").read_text() == "hooked-library\n"
    subprocess.run([str(out / "uses-header")], check=True)
    assert (out / "path").read_text().rstrip("\n").endswith(":/usr/local/bin:/usr/bin:/bin")


def test_passthru_and_meta_reach_nix_code_not_the_builder(builds: Builds) -> None:
    expr = """
      stdenv.mkDerivation {
        name = "described";
        dontUnpack = true;
        passthru.answer = 42;
        meta.description = "a package";
        installPhase = ''echo "''${meta-unset} ''${passthru-unset} ''${answer-unset}" > $out'';
      }
    """
    described = builds.value(f"let d = {expr}; in {{ inherit (d) answer meta; env = builtins.attrNames d.drvAttrs; }}")
    assert (described["answer"], described["meta"]) == (42, {"description": "a package"})
    assert "PATH" in described["env"] and not {"meta", "passthru", "answer"} & set(described["env"])
    assert builds.build(expr).read_text() == "unset unset unset\n"


def test_override_attrs(builds: Builds) -> None:
    out = builds.build("""
      (stdenv.mkDerivation {
        name = "base";
        dontUnpack = true;
        message = "original";
        installPhase = "echo $message > $out";
      }).overrideAttrs (old: { message = "overridden after ${old.message}"; })
    """)
    assert out.read_text() == "overridden after original\n"


@needs_cc
def test_stdenv_attributes(builds: Builds) -> None:
    system = builds.value("builtins.currentSystem")
    assert builds.value("""{
      inherit (stdenv) system shell isLinux isDarwin;
      host = stdenv.hostPlatform.system;
      mk = builtins.isFunction stdenv.mkDerivation;
      runtimeShell = runtimeShell;
    }""") == {
        "system": system, "shell": "/bin/bash", "isLinux": system.endswith("-linux"),
        "isDarwin": system.endswith("-darwin"), "host": system, "mk": True, "runtimeShell": "/bin/bash",
    }
    cc = builds.build("stdenv.cc")
    assert os.access(cc / "bin" / "cc", os.X_OK)


def test_custom_builder_sources_stdenv_setup(builds: Builds) -> None:
    (builds.workdir / "builder.sh").write_text(
        'source $stdenv/setup\nmkdir $out\nsubstitute $input $out/result --replace "@what@" "custom"\n'
    )
    (builds.workdir / "input").write_text("built by a @what@ builder\n")
    out = builds.build('stdenv.mkDerivation { name = "custom"; builder = ./builder.sh; input = ./input; }')
    assert (out / "result").read_text() == "built by a custom builder\n"


def test_failing_builder_names_the_derivation_and_leaves_nothing(builds: Builds, store: Store) -> None:
    expr = """
      stdenv.mkDerivation {
        name = "broken";
        dontUnpack = true;
        installPhase = "mkdir $out; echo partial > $out/file; echo 'compiler says no' >&2; exit 3";
      }
    """
    drv = builds.instantiate(expr)
    out = builds.value(f"({expr}).outPath")
    with pytest.raises(BuildError) as failure:
        builds.build(expr)
    assert failure.value.message.startswith(f"builder for '{drv}' failed with exit code 3; last ")
    assert "> compiler says no" in failure.value.message
    assert not os.path.lexists(out) and not store.is_valid(out)


def test_unchanged_expression_is_not_rebuilt(builds: Builds, store: Store, tmp_path: Path) -> None:
    counter = tmp_path / "runs"
    expr = f"""
      let
        dep = runCommand "dep" {{ }} "echo dep >> {counter}; echo dep > $out";
      in
      runCommand "top" {{ inherit dep; }} "echo top >> {counter}; cat $dep > $out"
    """
    out = builds.build(expr)
    drv = builds.instantiate(expr)
    log = Path(store.log_path(drv))
    before = (out.stat().st_ino, log.stat().st_mtime_ns)
    assert builds.fresh().build(expr) == out
    assert counter.read_text() == "dep\ntop\n"
    assert (out.stat().st_ino, log.stat().st_mtime_ns) == before


def test_concurrent_evaluations_and_builds_of_one_expression(store: Store, tmp_path: Path) -> None:
    """Two processes instantiate and build one expression: sources, .drv and output are each made once.

    The store-level race (two builders, one path) is tests/store/test_builder.py's; this one adds
    the evaluator writing the same sources and derivations at the same time.
    """
    counter = tmp_path / "runs"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "data").write_text("shared source\n")
    expr = (f'{PRELUDE} runCommand "slow" {{ src = ./src; }} '
            f'"echo run >> {counter}; sleep 1; mkdir $out; cat $src/data > $out/result"')
    program = (
        "import sys\n"
        "from nixproc_disnix.compiler.eval.evaluator import Evaluator\n"
        "from nixproc_disnix.store.builder import build\n"
        "from nixproc_disnix.store.store import Store\n"
        "store = Store(sys.argv[1])\n"
        "ev = Evaluator(search_path=[], store=store)\n"
        "drv = ev.force(ev.eval_string(sys.argv[2], sys.argv[3]))['drvPath']\n"
        "print(build(store, str(ev.force(drv)))['out'])\n"
    )
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(nixproc_disnix.__file__))}
    processes = [
        subprocess.Popen([sys.executable, "-c", program, store.root, expr, str(tmp_path)], env=env,
                         stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [p.communicate(timeout=120)[0].strip() for p in processes]
    assert [p.returncode for p in processes] == [0, 0]
    assert results[0] == results[1]
    assert counter.read_text() == "run\n"
    assert Path(results[0], "result").read_text() == "shared source\n"
