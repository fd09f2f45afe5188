"""examples/webapps-sysvinit: a model written for sysvinit alone, deployed end to end with the sysvinit switch."""
from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_examples import EXAMPLES, RESOURCES, http_get, invoke, load_ids, readable_store, retry

from nixproc_disnix.cli.idassign import nixproc_id_assign
from nixproc_disnix.cli.switch import COMMANDS

pytestmark = pytest.mark.integration


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the examples (the model reuses the webapp and nginx's configuration) with free ports."""
    monkeypatch.setenv("NIX_PATH", "")
    monkeypatch.setenv("NIXPROC_TEST_MARKER", uuid.uuid4().hex)
    for example in ("webapps-sysvinit", "webapps-agnostic", "services-agnostic"):
        shutil.copytree(EXAMPLES / example, tmp_path / example)
    model = tmp_path / "webapps-sysvinit"
    (model / "ids.nix").unlink()
    (model / "idresources.nix").write_text(RESOURCES)
    invoke(nixproc_id_assign, "--skip-ports-in-use", str(model / "processes.nix"))
    return model / "processes.nix"


def test_deployed_with_the_sysvinit_switch_and_undeployed(
    example: Path, readable_store: str, tmp_path: Path
) -> None:
    model = example
    common = ["--store-dir", readable_store, "--state-dir", str(tmp_path / "state"),
              "--force-disable-user-change", "--runlevel", "3"]
    environment = {"NIX_USER_PROFILE_DIR": str(tmp_path / "profiles")}
    switch = COMMANDS["sysvinit"].switch
    port = load_ids(model.parent / "ids.nix").ids["nginxPorts"]["nginx"]
    try:
        deployed = CliRunner().invoke(switch, [*common, str(model)], env=environment)
        assert deployed.exit_code == 0, deployed.output
        for webapp in ("webapp1", "webapp2"):
            status, body = retry(lambda: http_get(port, f"{webapp}.local"))
            assert status == 200 and body.startswith("Hello from the webapp on port")
        assert http_get(port, "elsewhere.local")[0] == 404
    finally:
        undeployed = CliRunner().invoke(switch, [*common, "--undeploy"], env=environment)
    assert undeployed.exit_code == 0, undeployed.output
    with pytest.raises(OSError):
        http_get(port, "webapp1.local")
