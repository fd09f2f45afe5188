"""The trivial builders: writeTextFile and friends, runCommand, symlinkJoin, buildEnv, substitute*, hooks."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from nixproc_disnix.errors import BuildError, EvalError
from pkgs_builds import Builds, run

HOSTILE = "it's \"quoted\" $(touch pwned) `touch pwned` ${HOME} \\ * ?\n\ttabbed  spaced\n\nünï €\n"


def hostile_values(builds: Builds, **values: str) -> str:
    """A Nix expression for ``values``, read from a JSON file so no quoting stands between."""
    (builds.workdir / "values.json").write_text(json.dumps(values))
    return "(builtins.fromJSON (builtins.readFile ./values.json))"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_write_text_is_byte_exact(builds: Builds) -> None:
    values = hostile_values(builds, text=HOSTILE + "no final newline")
    out = builds.build(f'writeText "hostile" {values}.text')
    assert out.read_text(encoding="utf-8") == HOSTILE + "no final newline"
    assert mode(out) == 0o444
    assert not (builds.workdir / "pwned").exists()


def test_write_text_file_destination_executable_and_check_phase(builds: Builds) -> None:
    out = builds.build("""
      writeTextFile {
        name = "tool";
        text = "#!/bin/sh\\necho tool\\n";
        executable = true;
        destination = "/libexec/tool";
        checkPhase = ''grep -q 'echo tool' "$target"'';
      }
    """)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["libexec", "libexec/tool"]
    assert mode(out / "libexec" / "tool") == 0o555
    assert run(out / "libexec" / "tool") == b"tool\n"


def test_write_text_file_failing_check_phase(builds: Builds) -> None:
    with pytest.raises(BuildError, match=r"builder for '.*-checked\.drv' failed"):
        builds.build('writeTextFile { name = "checked"; text = "x"; checkPhase = "grep -q y \\"$target\\""; }')


def test_write_text_file_rejects_a_relative_destination(builds: Builds) -> None:
    with pytest.raises(EvalError, match="destination must be empty or an absolute path"):
        builds.instantiate('writeTextFile { name = "x"; text = "x"; destination = "bin/x"; }')


def test_write_text_dir_and_scripts(builds: Builds) -> None:
    assert (builds.build('writeTextDir "share/doc/readme.txt" "read me"') / "share/doc/readme.txt").read_text() \
        == "read me"
    script = builds.build('writeScript "plain" "#!/bin/sh\\necho plain\\n"')
    assert mode(script) == 0o555 and run(script) == b"plain\n"
    bin_dir = builds.build('writeScriptBin "binned" "#!/bin/sh\\necho binned\\n"')
    assert run(bin_dir / "bin" / "binned") == b"binned\n"


def test_write_shell_script_bin_runs(builds: Builds) -> None:
    out = builds.build("""
      writeShellScriptBin "greet" ''
        for name in "$@"; do printf 'hello <%s>\\n' "$name"; done
        [[ -n "''${BASH_VERSION}" ]] && echo bash
      ''
    """)
    assert (out / "bin" / "greet").read_text().startswith("#!/bin/bash\n")
    assert run(out / "bin" / "greet", "a b", "$(c)") == b"hello <a b>\nhello <$(c)>\nbash\n"
    plain = builds.build('writeShellScript "plain" "echo $0"')
    assert run(plain) == f"{plain}\n".encode()


def test_write_shell_script_is_syntax_checked(builds: Builds) -> None:
    with pytest.raises(BuildError, match=r"builder for '.*-bad\.drv' failed"):
        builds.build('writeShellScript "bad" "if then fi"')


def test_run_command(builds: Builds) -> None:
    values = hostile_values(builds, message=HOSTILE)
    out = builds.build(f"""
      runCommand "message" {{ inherit ({values}) message; }} ''
        mkdir $out
        printf '%s' "$message" > $out/message
      ''
    """)
    assert (out / "message").read_text(encoding="utf-8") == HOSTILE
    local = builds.value('let d = runCommandLocal "local" { } "touch $out"; in '
                         '{ inherit (d) preferLocalBuild allowSubstitutes; }')
    assert local == {"preferLocalBuild": True, "allowSubstitutes": False}


PACKAGES = """
  let
    tree = name: files: runCommand name { } (''
      mkdir -p $out/bin $out/share/${name}
      echo ${name} > $out/share/${name}/README
    '' + lib.concatMapStrings (file: ''
      mkdir -p $out/$(dirname ${file})
      echo "${name}" > $out/${file}
    '') files);
    a = tree "a" [ "bin/a" "bin/common" "etc/a.conf" ];
    b = tree "b" [ "bin/b" "bin/common" ];
    c = tree "c" [ "bin/c" ];
  in
"""


def read_tree(root: Path) -> dict[str, str]:
    """Every file below ``root`` (through symlinks) with its contents; directories must be real."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_dir():
            assert not path.is_symlink(), f"{path} is a link to a directory"
        else:
            assert path.is_symlink(), f"{path} is not a link"
            files[path.relative_to(root).as_posix()] = path.read_text()
    return files


def test_symlink_join_first_path_wins(builds: Builds) -> None:
    out = builds.build(PACKAGES + """
      symlinkJoin { name = "joined"; paths = [ a b ]; postBuild = "echo joined > $out/marker"; }
    """)
    assert (out / "marker").read_text() == "joined\n"
    files = {f"{top}/{name}": text for top in ("bin", "etc", "share") for name, text in read_tree(out / top).items()}
    assert files == {"bin/a": "a\n", "bin/b": "b\n", "bin/common": "a\n", "etc/a.conf": "a\n",
                     "share/a/README": "a\n", "share/b/README": "b\n"}
    assert os.readlink(out / "bin" / "a") == builds.value(PACKAGES + '"${a}/bin/a"')


def test_build_env_links_the_union(builds: Builds) -> None:
    out = builds.build(PACKAGES + 'buildEnv { name = "env"; paths = [ a c ]; }')
    assert read_tree(out) == {
        "bin/a": "a\n", "bin/c": "c\n", "bin/common": "a\n", "etc/a.conf": "a\n",
        "share/a/README": "a\n", "share/c/README": "c\n",
    }


def test_build_env_collision_is_an_error(builds: Builds) -> None:
    a_common, b_common = builds.value(PACKAGES + '[ "${a}/bin/common" "${b}/bin/common" ]')
    with pytest.raises(BuildError) as failure:
        builds.build(PACKAGES + 'buildEnv { name = "env"; paths = [ a b ]; }')
    assert f"> collision between `{a_common}' and `{b_common}'" in failure.value.message


def test_build_env_collisions_ignored_by_priority_or_identical_contents(builds: Builds) -> None:
    ignored = builds.build(PACKAGES + 'buildEnv { name = "env"; paths = [ b a ]; ignoreCollisions = true; }')
    assert (ignored / "bin" / "common").read_text() == "b\n"
    prioritised = builds.build(PACKAGES + """
      buildEnv { name = "env"; paths = [ b (a // { meta.priority = 1; }) ]; }
    """)
    assert (prioritised / "bin" / "common").read_text() == "a\n"
    identical = builds.build(PACKAGES + """
      let b' = runCommand "b-prime" { } "mkdir -p $out/bin; echo a > $out/bin/common"; in
      buildEnv { name = "env"; paths = [ a b' ]; }
    """)
    assert (identical / "bin" / "common").read_text() == "a\n"


def test_build_env_paths_to_link_and_extra_prefix(builds: Builds) -> None:
    out = builds.build(PACKAGES + """
      buildEnv { name = "env"; paths = [ a c ]; pathsToLink = [ "/bin" ]; extraPrefix = "/opt/env";
                 postBuild = "touch $out/built"; }
    """)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "built", "opt", "opt/env", "opt/env/bin", "opt/env/bin/a", "opt/env/bin/c", "opt/env/bin/common",
    ]


def test_build_env_refuses_single_files(builds: Builds) -> None:
    with pytest.raises(BuildError, match="is a file and can't be merged into an environment"):
        builds.build('buildEnv { name = "env"; paths = [ (writeText "single" "x") ]; }')
    out = builds.build(
        'buildEnv { name = "env"; paths = [ (writeText "single" "x") ]; ignoreSingleFileOutputs = true; }'
    )
    assert list(out.iterdir()) == []


def test_substitute(builds: Builds) -> None:
    (builds.workdir / "template").write_text("name=@name@ greeting=@greeting@ FROM from\n")
    values = hostile_values(builds, replacement="&& $(touch pwned) `x` 'q' \\1 \"")
    out = builds.build(f"""
      substitute {{
        src = ./template;
        name = "configured";
        greeting = "hi there";
        isExecutable = true;
        replacements = [ "--replace" "FROM" ({values}).replacement "--subst-var" "greeting"
                         "--subst-var-by" "name" "by value" ];
      }}
    """)
    assert out.read_text() == "name=by value greeting=hi there && $(touch pwned) `x` 'q' \\1 \" from\n"
    assert mode(out) == 0o555
    assert not (builds.workdir / "pwned").exists()


def test_substitute_all(builds: Builds) -> None:
    (builds.workdir / "template.sh").write_text("#!@shell@\necho '@message@' @missing@ @Upper@\n")
    out = builds.build("""
      substituteAll {
        src = ./template.sh;
        dir = "bin";
        name = "greet";
        shell = "/bin/sh";
        message = "hello & goodbye";
        Upper = "not replaced";
        isExecutable = true;
      }
    """)
    assert run(out / "bin" / "greet") == b"hello & goodbye @missing@ @Upper@\n"


def test_link_farm(builds: Builds) -> None:
    out = builds.build("""
      let file = writeText "file" "contents"; in
      linkFarm "farm" [ { name = "a/b/link"; path = file; } { name = "with space"; path = file; } ]
    """)
    assert (out / "a" / "b" / "link").read_text() == "contents"
    assert (out / "with space").read_text() == "contents"


def test_make_setup_hook_with_substitutions_and_deps(builds: Builds) -> None:
    (builds.workdir / "hook.sh").write_text("useTool() { echo '@greeting@'; tool; }\n")
    out = builds.build("""
      let
        tool = writeShellScriptBin "tool" "echo from-tool";
        hook = makeSetupHook { name = "tool-hook"; deps = [ tool ]; substitutions.greeting = "substituted"; }
          ./hook.sh;
      in
      runCommand "uses-hook" { nativeBuildInputs = [ hook ]; } "useTool > $out"
    """)
    assert out.read_text() == "substituted\nfrom-tool\n"


def test_outputs_reference_their_inputs(builds: Builds) -> None:
    out = builds.build('let t = writeText "t" "x"; in runCommand "refers" { } "echo ${t} > $out"')
    referenced = builds.value('"${writeText "t" "x"}"')
    assert builds.store.references(str(out)) == {referenced}
    assert out.read_text() == referenced + "\n"
