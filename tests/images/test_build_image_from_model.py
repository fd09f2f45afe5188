"""``nixproc-build-image --process-manager PM MODEL``: an image of a processes model, its options on the command line.

The model form is createMultiProcessImage called with the options, so it
must make the very derivation an image expression with the same parameters
makes (examples/multi-process-image is one); each option must reach the
image; every misuse is one line and exit status 1, and writes no link.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nixproc_disnix.deploy.image import ImageRequest, ModelImage, build_image, image_derivation
from nixproc_disnix.image.archive import read_archive
from nixproc_disnix.store.derivation import Derivation
from nixproc_disnix.store.store import Store
from test_image_example import store  # noqa: F401 (a fixture: a store, packages from system directories)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MODEL = EXAMPLES / "webapps-agnostic/processes.nix"


def image_env(store: Store, image: ModelImage) -> dict[str, str]:
    """The environment of the image's derivation (dockerTools.buildImage's arguments), packages as placeholders."""
    derivation: Derivation = store.read_derivation(image_derivation(store, image.request("stub")))
    return derivation.env


@pytest.mark.parametrize("manager", ["supervisord", "sysvinit", "s6-rc", "disnix"])
@pytest.mark.parametrize("mutable", [False, True])
def test_the_model_form_is_the_image_expression_with_the_same_parameters(store: Store, manager: str,  # noqa: F811
                                                                         mutable: bool) -> None:
    creator = "create-mutable-multi-process-image" if mutable else "create-multi-process-image"
    expression = Path(store.root) / f"{creator}-{manager}.nix"
    expression.write_text(f"""
        {{ pkgs ? import <nixpkgs> {{}} }}:
        import <nix-processmgmt/nixproc/create-image-from-steps/{creator}-universal.nix> {{ inherit pkgs; }} {{
          name = "multiprocess"; tag = "test"; processManager = "{manager}"; exprFile = {MODEL};
        }}
    """)
    from_expression = image_derivation(store, ImageRequest(str(expression), pkgs="stub"))
    from_model = image_derivation(store, ModelImage(str(MODEL), manager, tag="test", mutable=mutable).request("stub"))
    assert from_model == from_expression
    if not mutable:
        example = ImageRequest(str(EXAMPLES / "multi-process-image"), argstrs={"processManager": manager}, pkgs="stub")
        assert from_model == image_derivation(store, example)


def rc_d(env: dict[str, str]) -> str:
    """The profile the image's /etc/rc.d links to."""
    return next(line.split()[2] for line in env["extraCommands"].splitlines() if line.endswith(" etc/rc.d"))


def test_each_option_reaches_the_image(store: Store) -> None:  # noqa: F811
    default = image_env(store, ModelImage(str(MODEL), "sysvinit"))
    assert (default["imageName"], default["imageTag"]) == ("multiprocess", "latest")
    assert "mkdir -p var/log" in default["extraCommands"]
    assert "-bash" in default["contents"] and "MANPATH" not in default["config"]

    options = ModelImage(str(MODEL), "sysvinit", name="webapps", tag="v1", interactive=False, manpages=True,
                         state_dir="/srv", extra_params='{ webappMode = "foreground"; }')
    env = image_env(store, options)
    assert (env["imageName"], env["imageTag"]) == ("webapps", "v1")
    assert "mkdir -p srv/log" in env["extraCommands"] and "mkdir -p var/log" not in env["extraCommands"]
    assert "mkdir -p srv/run" in env["extraCommands"], "the runtime dir follows the state dir"
    assert "-bash" not in env["contents"] and "-man" in env["contents"]
    assert "MANPATH=/share/man:/nix/var/nix/profiles/default/share/man" in json.loads(env["config"])["Env"]
    runtime = image_env(store, ModelImage(str(MODEL), "sysvinit", state_dir="/srv", runtime_dir="/run/apps"))
    assert "mkdir -p run/apps" in runtime["extraCommands"] and "mkdir -p srv/run" not in runtime["extraCommands"]
    # The extra parameters reach the model: another deployment, the same one without them.
    assert rc_d(env) != rc_d(image_env(store, ModelImage(str(MODEL), "sysvinit", state_dir="/srv")))
    assert rc_d(image_env(store, ModelImage(str(MODEL), "sysvinit", state_dir="/srv", extra_params="{ }"))) == \
        rc_d(image_env(store, ModelImage(str(MODEL), "sysvinit", state_dir="/srv")))


def test_accounts_are_baked_in_unless_user_changes_are_disabled(store: Store) -> None:  # noqa: F811
    def profiles(image: ModelImage) -> list[str]:
        derivation = store.read_derivation(image_derivation(store, image.request("stub")))
        accounts = next(drv for drv in derivation.input_drvs if drv.endswith("-image-accounts.drv"))
        return json.loads(store.read_derivation(accounts).env["accounts"])["profiles"]

    assert len(profiles(ModelImage(str(MODEL), "supervisord"))) == 1
    assert profiles(ModelImage(str(MODEL), "supervisord", force_disable_user_change=True)) == []


def test_a_mutable_image_carries_the_model_and_its_ids_files(store: Store, tmp_path: Path) -> None:  # noqa: F811
    ids, resources = tmp_path / "ids.nix", tmp_path / "idresources.nix"
    ids.write_text("{ ids = {}; }\n")
    resources.write_text("{ uids = { min = 2000; max = 3000; }; }\n")
    env = image_env(store, ModelImage(str(MODEL), "supervisord", mutable=True, ids=str(ids),
                                      id_resources=str(resources)))
    assert "etc/nixproc/processes.nix" in env["extraCommands"]
    assert "etc/nixproc/ids.nix" in env["extraCommands"] and "etc/nixproc/idresources.nix" in env["extraCommands"]
    assert json.loads(env["config"])["Cmd"] == ["/bin/bootstrap"]


def nixproc_build_image(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nixproc_disnix.cli", "build-image", *args], cwd=cwd,
                          capture_output=True, text=True)


@pytest.mark.integration
def test_the_command_builds_the_image_and_links_it(store: Store, tmp_path: Path) -> None:  # noqa: F811
    result = nixproc_build_image("--process-manager", "supervisord", "--name", "webapps", "--tag", "v1",
                                 "--store-dir", store.store_dir, "-o", "image", str(MODEL), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    archive = result.stdout.strip()
    assert os.readlink(tmp_path / "image") == archive
    assert archive == build_image(store, ModelImage(str(MODEL), "supervisord", name="webapps", tag="v1").request())
    image = read_archive(archive)
    assert image.manifest.root[0].repo_tags == ["webapps:v1"]
    assert image.config.config.cmd is not None and "--nodaemon" in image.config.config.cmd


@pytest.mark.parametrize(("args", "message"), [
    (["--process-manager", "launchd", str(MODEL)],
     "error: no image steps for process manager 'launchd' (a multi-process image runs one of: "
     "disnix, s6-rc, supervisord, sysvinit)"),
    (["--process-manager", "runit", str(MODEL)],
     "error: Unknown process manager: runit (expected one of bsdrc, cygrunsrv, disnix, docker, launchd, s6-rc, "
     "supervisord, systemd, sysvinit)"),
    (["--process-manager", "sysvinit", "missing.nix"], "error: processes model 'missing.nix' does not exist"),
    (["--mutable", str(MODEL)], "error: --mutable describes an image of a processes model: give --process-manager"),
    (["--process-manager", "sysvinit", "--argstr", "name", "x", str(MODEL)],
     "error: --arg, --argstr and -A apply to an image expression, not to a processes model (--process-manager)"),
    (["--process-manager", "sysvinit", "--ids", str(MODEL), str(MODEL)],
     "error: --id-resources and --ids are for a mutable image (--mutable); a static image's model reads the "
     "ids.nix beside it"),
])
def test_misuse_is_one_line_and_writes_nothing(store: Store, tmp_path: Path, args: list[str], message: str) -> None:  # noqa: F811
    result = nixproc_build_image(*args, "--pkgs", "stub", "--store-dir", store.store_dir, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [message] or (
        len(result.stderr.splitlines()) == 1 and result.stderr.startswith(message + ", at ")), result.stderr
    assert list(tmp_path.iterdir()) == []
