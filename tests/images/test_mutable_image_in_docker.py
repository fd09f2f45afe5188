"""A mutable image of a processes model (``nixproc-build-image --mutable``) in a real Docker engine.

The container bootstraps the model it was built with, takes a changed model
(``docker cp``) and redeploys it with the switch inside the container
(``docker exec``), with no new image; ``docker restart`` then resumes the
last deployment. Every check talks to the webapps from inside the container:
the engine runs in its own network namespace and the container has none.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockerd_harness import Dockerd, dockerd  # noqa: F401 (a fixture)
from nixproc_disnix.deploy.image import ModelImage, build_image
from nixproc_disnix.store.store import Store
from image_runner import SYSTEM_PATH
from test_mutable_image import MODEL

ANSWERS = """
import json, sys, time, urllib.request
answers = {}
for port in sys.argv[1:]:
    for attempt in range(150):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                answers[port] = response.read().decode()
            break
        except OSError as error:
            answers[port] = repr(error)
            time.sleep(0.2)
print(json.dumps(answers))
"""


def answers(daemon: Dockerd, container: str, *ports: int) -> dict[str, str]:
    """What each port answers inside the container, waiting up to 30 s for each."""
    return json.loads(daemon.docker("exec", container, "python3", "-c", ANSWERS, *map(str, ports)).stdout)


@pytest.mark.integration
@pytest.mark.parametrize("manager", ["sysvinit", "supervisord"])
def test_the_container_redeploys_a_changed_model_and_resumes_it_after_a_restart(
        dockerd: Dockerd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, manager: str) -> None:  # noqa: F811
    monkeypatch.setenv("PATH", SYSTEM_PATH)
    model = tmp_path / "processes.nix"
    model.write_text(MODEL)
    with Store(str(tmp_path / "root")) as store:
        image = build_image(store, ModelImage(str(model), manager, name="mutable", tag=manager, mutable=True).request())
    changed = tmp_path / "changed.nix"
    changed.write_text(MODEL.replace("# webapp2", "webapp2"))
    name = f"mutable-{manager}"
    dockerd.docker("load", "-i", image)
    dockerd.docker("run", "-d", "--network", "none", "--name", name, f"mutable:{manager}")
    try:
        assert answers(dockerd, name, 5001) == {"5001": "webapp1"}, dockerd.docker("logs", name, check=False).stdout

        dockerd.docker("cp", str(changed), f"{name}:/etc/nixproc/processes.nix")
        dockerd.docker("exec", name, f"nixproc-{manager}-switch", timeout=300)
        assert answers(dockerd, name, 5001, 5002) == {"5001": "webapp1", "5002": "webapp2"}

        dockerd.docker("restart", name)
        assert answers(dockerd, name, 5001, 5002) == {"5001": "webapp1", "5002": "webapp2"}
        generations = dockerd.docker("exec", name, f"nixproc-{manager}-switch", "--list-generations").stdout
        assert len(generations.splitlines()) == 2, generations

        dockerd.docker("stop", name)
        state = json.loads(dockerd.docker("inspect", "--format", "{{json .State}}", name).stdout)
        assert (state["Running"], state["ExitCode"]) == (False, 0), state
    finally:
        dockerd.docker("rm", "-f", name, check=False)
        dockerd.docker("rmi", f"mutable:{manager}", check=False)
