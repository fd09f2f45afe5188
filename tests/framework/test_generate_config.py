"""nixproc-generate-config: from agnostic JSON to the very files and store paths a model build gives."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.errors import EvalError
from nixproc_disnix.framework import install, search_path_entry
from nixproc_disnix.framework.from_config import ConfigGenerator, config_file_of, config_files_in

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXAMPLE = FIXTURES / "webapps/processes.nix"
INSTANCES = ("webapp1", "webapp2")
READINESS = FIXTURES / "readiness/processes.nix"
"""Its ``upstream`` has a readiness check, which the generated files run from our tools package."""


def evaluate_model(store_dir: Path, process_manager: str | None, model_file: Path = EXAMPLE,
                   instances: tuple[str, ...] = INSTANCES,
                   arguments: str = "") -> dict[str, tuple[str, dict[str, Any]]]:
    """Each instance's pkg: out path and files, evaluated as a build would (no store needed)."""
    ev = Evaluator(search_path=[search_path_entry()], store_dir=str(store_dir))
    install(ev)
    manager = "null" if process_manager is None else f'"{process_manager}"'
    model = ev.eval_string(f'import {model_file} {{ pkgs = {{ python3 = "/usr"; }}; processManager = {manager}; '
                           f'{arguments} }}')
    result = {}
    for name in instances:
        pkg = ev.force(ev.force(model)[name])
        pkg = ev.force(ev.force(pkg)["pkg"])
        result[name] = (str(ev.force(pkg["outPath"])), json.loads(ev.force(pkg["files"])))
    return result


def write_agnostic_outputs(outputs: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """Put the agnostic outputs where their store paths say, as a target machine receives them."""
    for out_path, files in outputs.values():
        os.makedirs(out_path, exist_ok=True)
        for relative, entry in files.items():
            Path(out_path, relative).write_text(entry["content"])


@pytest.fixture
def agnostic(tmp_path: Path) -> tuple[Path, dict[str, tuple[str, dict[str, Any]]]]:
    store_dir = tmp_path / "store"
    outputs = evaluate_model(store_dir, None)
    write_agnostic_outputs(outputs)
    return store_dir, outputs


# docker's derivations also describe the image the builder puts in the output: the same from both.
@pytest.mark.parametrize("process_manager", ["sysvinit", "docker"])
def test_same_files_and_store_paths_as_the_model_build(
    agnostic: tuple[Path, dict[str, tuple[str, dict[str, Any]]]], process_manager: str
) -> None:
    store_dir, outputs = agnostic
    from_model = evaluate_model(store_dir, process_manager)
    generator = ConfigGenerator(process_manager, BackendSettings(), str(store_dir))
    for name in INSTANCES:
        generated, out_path = generator.process(config_file_of(outputs[name][0]))
        assert json.loads(generated.files_json()) == from_model[name][1]
        assert out_path == from_model[name][0]
        assert bool(generated.image) == (process_manager == "docker")


@pytest.mark.parametrize("process_manager", ["sysvinit", "systemd", "s6-rc", "supervisord"])
def test_a_readiness_check_runs_our_tools_package_from_both(tmp_path: Path, process_manager: str) -> None:
    store_dir, instances = tmp_path / "store", ("upstream", "downstream")
    arguments = 'stateDir = "/srv"; upstreamPort = 5100; downstreamPort = 5101;'
    outputs = evaluate_model(store_dir, None, READINESS, instances, arguments)
    write_agnostic_outputs(outputs)
    from_model = evaluate_model(store_dir, process_manager, READINESS, instances, arguments)
    settings = BackendSettings(state_dir="/srv", force_disable_user_change=True)  # the fixture's default
    generator = ConfigGenerator(process_manager, settings, str(store_dir))
    for name in instances:
        generated, out_path = generator.process(config_file_of(outputs[name][0]))
        assert (json.loads(generated.files_json()), out_path) == (from_model[name][1], from_model[name][0])
    mentions = json.dumps(from_model["upstream"][1])
    if process_manager != "supervisord":  # supervisord has no hook to run it (startsecs only)
        assert "-nixproc-tools/bin/nixproc-wait-ready" in mentions and "nixproc-wait-ready" not in \
            json.dumps(from_model["downstream"][1])


def test_config_file_naming() -> None:
    assert config_file_of("/nix/store/0c5wlvkrqzwmhq7xyxzxkxlm1cjd5v1s-webapp") == (
        "/nix/store/0c5wlvkrqzwmhq7xyxzxkxlm1cjd5v1s-webapp/webapp.json"
    )
    assert config_file_of("/srv/configs/webapp") == "/srv/configs/webapp/webapp.json"


def test_bad_input_is_one_clear_error(tmp_path: Path) -> None:
    generator = ConfigGenerator("sysvinit", BackendSettings(), str(tmp_path))
    (tmp_path / "bad.json").write_text('{"name": "x", "proces": "/bin/x"}')
    with pytest.raises(EvalError, match="bad.json: invalid agnostic process config: proces"):
        generator.process(str(tmp_path / "bad.json"))
    with pytest.raises(EvalError, match="cannot read agnostic process config"):
        generator.process(str(tmp_path / "missing.json"))
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "loop.json").write_text(json.dumps({"name": "loop", "dependencies": [str(tmp_path / "loop")]}))
    with pytest.raises(EvalError, match="depends on itself"):
        generator.process(str(tmp_path / "loop" / "loop.json"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(EvalError, match="contains no agnostic process configurations"):
        config_files_in(str(tmp_path / "empty"))


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from nixproc_disnix.cli.generate_config import generate_config; generate_config()"]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True)


def test_cli_builds_into_the_store_links_the_result_and_copies(
    agnostic: tuple[Path, dict[str, tuple[str, dict[str, Any]]]], tmp_path: Path
) -> None:
    store_dir, outputs = agnostic
    config = config_file_of(outputs["webapp2"][0])
    result = run_cli("-P", "sysvinit", "--store-dir", str(store_dir), "--output-dir", "copy", config, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out_path = result.stdout.strip()
    assert os.readlink(tmp_path / "result") == out_path
    script = tmp_path / "copy/etc/rc.d/init.d/webapp2"
    assert os.access(script, os.X_OK) and not script.is_symlink()
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    assert os.readlink(tmp_path / "copy/etc/rc.d/rc3.d/S01webapp2") == "../init.d/webapp2"


def test_cli_usage_errors(tmp_path: Path) -> None:
    missing_config = run_cli("-P", "sysvinit", cwd=tmp_path)
    assert missing_config.returncode == 1 and "A config file must be provided!" in missing_config.stderr
    missing_manager = run_cli("x.json", cwd=tmp_path)
    assert missing_manager.returncode == 1 and "No process manager was specified!" in missing_manager.stderr
