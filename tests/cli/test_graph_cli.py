"""``nixproc graph``: DOT on standard output, SVG/PNG files drawn by Graphviz, one-line errors."""
from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from nixproc_disnix.cli.main import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures/webapps"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def model(tmp_path: Path) -> Path:
    directory = tmp_path / "webapps"
    shutil.copytree(FIXTURE, directory)
    (directory / "infrastructure.nix").write_text('{ test1.properties.hostname = "test1"; '
                                                  'test2.properties.hostname = "test2"; }\n')
    (directory / "distribution.nix").write_text("{ infrastructure }: { webapp1 = [ infrastructure.test1 ]; "
                                                "webapp2 = [ infrastructure.test2 ]; }\n")
    return directory


def invoke(tmp_path: Path, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, ["graph", "--pkgs", "stub", "--store-dir", str(tmp_path / "store"), *args], env=env)


def titles(svg: bytes, kind: str) -> list[str]:
    root = ET.fromstring(svg)
    return sorted(g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == kind)


def test_dot_on_standard_output(tmp_path: Path, model: Path) -> None:
    result = invoke(tmp_path, "-P", "systemd", str(model / "processes.nix"))
    assert result.exit_code == 0, result.output
    assert '"webapp1" [label="webapp1\\nsystemd"];' in result.stdout
    assert '"webapp2" -> "webapp1" [label="dependency", style=solid];' in result.stdout


def test_svg_file_with_a_cluster_per_target(tmp_path: Path, model: Path) -> None:
    assert shutil.which("dot"), "Graphviz's dot is required (apt-get install graphviz)"
    output = tmp_path / "graph.svg"
    result = invoke(tmp_path, str(model / "processes.nix"), "-i", str(model / "infrastructure.nix"),
                    "-d", str(model / "distribution.nix"), "--format", "svg", "-o", str(output))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    svg = output.read_bytes()
    assert titles(svg, "node") == ["test1:webapp1", "test2:webapp2"]
    assert titles(svg, "cluster") == ["cluster_test1", "cluster_test2"]
    assert titles(svg, "edge") == ["test2:webapp2->test1:webapp1"]


def test_png(tmp_path: Path, model: Path) -> None:
    assert shutil.which("dot"), "Graphviz's dot is required (apt-get install graphviz)"
    result = invoke(tmp_path, str(model / "processes.nix"), "--format", "png")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"\x89PNG\r\n\x1a\n")


def test_services_model_with_hostile_names_renders(tmp_path: Path) -> None:
    assert shutil.which("dot"), "Graphviz's dot is required (apt-get install graphviz)"
    services = tmp_path / "services.nix"
    services.write_text(r'''{}:
      let hostile = { name = "a\"b<c>{d}\ne"; type = "x}\"{"; };
      in {
        "a\"b<c>{d}\ne" = hostile;
        "back\\" = { name = "back\\"; dependsOn.dep = hostile; };
      }
    ''')
    result = invoke(tmp_path, "-s", str(services), "--format", "svg")
    assert result.exit_code == 0, result.output
    assert titles(result.stdout_bytes, "node") == ['a"b<c>{d}\\ne', "back\\\\"]
    assert titles(result.stdout_bytes, "edge") == ['back\\\\->a"b<c>{d}\\ne']


def test_missing_graphviz_is_one_line(tmp_path: Path, model: Path) -> None:
    result = invoke(tmp_path, str(model / "processes.nix"), "--format", "svg", env={"PATH": str(tmp_path)})
    assert result.exit_code == 1
    assert result.stderr == ("error: --format svg needs Graphviz's dot, which is not installed "
                             "(apt-get install graphviz); --format dot works without it\n")


def test_errors_are_one_line(tmp_path: Path, model: Path) -> None:
    result = invoke(tmp_path, str(model / "processes.nix"), "-s", str(model / "processes.nix"))
    assert result.exit_code == 1 and result.stderr.startswith("error: give either a processes model")
    result = invoke(tmp_path, str(model / "processes.nix"), "-o", str(tmp_path / "missing" / "graph.dot"))
    assert result.exit_code == 1 and result.stderr.startswith("error: cannot write ")
