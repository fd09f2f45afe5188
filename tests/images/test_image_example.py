"""examples/multi-process-image: the webapps example behind nginx in one image, per process manager (SPEC §9.6)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from image_runner import SYSTEM_PATH, can_run_images, run_image
from nixproc_disnix.deploy.image import ImageRequest, build_image, image_derivation
from nixproc_disnix.store.store import Store

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/multi-process-image"
WEBAPPS = {"webapp1.local": 5000, "webapp2.local": 5001}
NGINX = 8080


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with pytest.MonkeyPatch.context() as patch, Store(str(tmp_path_factory.mktemp("example") / "root")) as opened:
        patch.setenv("PATH", SYSTEM_PATH)
        yield opened


def request(manager: str, force_disable_user_change: bool, pkgs: str = "host") -> ImageRequest:
    flag = "true" if force_disable_user_change else "false"
    return ImageRequest(str(EXAMPLE), args={"forceDisableUserChange": flag}, argstrs={"processManager": manager},
                        pkgs=pkgs)


@pytest.mark.parametrize("manager", ["supervisord", "sysvinit", "s6-rc", "disnix"])
@pytest.mark.parametrize("force_disable_user_change", [False, True])
def test_every_manager_and_flag_makes_an_image(store: Store, manager: str, force_disable_user_change: bool) -> None:
    image = store.read_derivation(image_derivation(store, request(manager, force_disable_user_change, "stub")))
    assert (image.env["imageName"], image.env["imageTag"]) == ("multiprocess", "test")
    accounts = next(drv for drv in image.input_drvs if drv.endswith("-image-accounts.drv"))
    profiles = json.loads(store.read_derivation(accounts).env["accounts"])["profiles"]
    # Disnix's activation creates the accounts itself; the other managers' profiles lend theirs to the image.
    assert len(profiles) == (0 if force_disable_user_change or manager == "disnix" else 1)


needs_chroot = pytest.mark.skipif(not can_run_images(), reason="running an image needs root, unshare and ip")


@pytest.mark.integration
@needs_chroot
@pytest.mark.parametrize("manager", ["supervisord", "sysvinit"])
@pytest.mark.parametrize("force_disable_user_change", [False, True])
def test_the_image_serves_every_webapp_through_nginx(store: Store, tmp_path: Path, manager: str,
                                                     force_disable_user_change: bool) -> None:
    image = Path(build_image(store, request(manager, force_disable_user_change)))
    through_nginx = "".join(
        f'echo "{host}: $(curl -s -H "Host: {host}" http://127.0.0.1:{NGINX})"\n' for host in WEBAPPS)
    output = run_image(image, tmp_path / "root", [*WEBAPPS.values(), NGINX], inside=through_nginx)
    for host, port in WEBAPPS.items():
        assert f"{host}: Hello from the webapp on port {port}!" in output, output
    assert "\nexit status 0\n" in output, output
