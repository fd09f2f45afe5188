"""Evaluating processes and Disnix services models (with infrastructure and distribution) for the graph."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nixproc_disnix.deploy.build import BuildRequest
from nixproc_disnix.errors import GraphError
from nixproc_disnix.graph import GraphRequest, graph_model
from nixproc_disnix.graph.dot import PROCESS_DEPENDENCY, GraphService
from nixproc_disnix.store.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures/webapps"

INFRASTRUCTURE = """{
  test1.properties.hostname = "test1";
  test2.properties.hostname = "test2";
}
"""

DISTRIBUTION = """{ infrastructure }:
{
  webapp1 = [ infrastructure.test1 ];
  webapp2 = [ infrastructure.test1 infrastructure.test2 ];
}
"""

SERVICES = """{ system, pkgs, distribution, invDistribution }:
rec {
  webapp1 = { name = "webapp1"; type = "process"; pkg = throw "never built"; };
  webapp2 = {
    name = "webapp2"; type = "sysvinit-script"; pkg = throw "never built";
    dependsOn = { inherit webapp1; };
  };
  proxy = {
    name = "proxy"; type = "managed-process"; pkg = throw "never built";
    dependsOn = { app = webapp2; };
    activatesAfter = { inherit webapp1; };
    connectsTo = { };
  };
}
"""


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(str(tmp_path / "root")) as opened:
        yield opened


@pytest.fixture
def models(tmp_path: Path) -> Path:
    directory = tmp_path / "models"
    shutil.copytree(FIXTURE, directory)
    (directory / "infrastructure.nix").write_text(INFRASTRUCTURE)
    (directory / "distribution.nix").write_text(DISTRIBUTION)
    (directory / "services.nix").write_text(SERVICES)
    return directory


def processes(models: Path, process_manager: str | None = "sysvinit") -> BuildRequest:
    return BuildRequest(process_manager, str(models / "processes.nix"), pkgs="stub")


def test_processes_model_instances_with_their_manager(store: Store, models: Path) -> None:
    model = graph_model(store, GraphRequest(build=processes(models)))
    assert model.distribution is None
    assert model.services == {
        "webapp1": GraphService(name="webapp1", kind="sysvinit"),
        "webapp2": GraphService(name="webapp2", kind="sysvinit", dependencies={PROCESS_DEPENDENCY: ("webapp1",)}),
    }


def test_agnostic_processes_are_managed_processes(store: Store, models: Path) -> None:
    model = graph_model(store, GraphRequest(build=processes(models, None)))
    assert {service.kind for service in model.services.values()} == {"managed-process"}


def test_processes_model_with_a_distribution(store: Store, models: Path) -> None:
    model = graph_model(store, GraphRequest(build=processes(models), infrastructure=str(models / "infrastructure.nix"),
                                            distribution=str(models / "distribution.nix")))
    assert model.distribution is not None
    assert model.distribution.targets == {"webapp1": ("test1",), "webapp2": ("test1", "test2")}


def test_services_model_types_and_dependency_kinds_without_building(store: Store, models: Path) -> None:
    build = BuildRequest(None, None, pkgs="stub")
    model = graph_model(store, GraphRequest(build=build, services=str(models / "services.nix")))
    assert model.services == {
        "proxy": GraphService(name="proxy", kind="managed-process",
                              dependencies={"dependsOn": ("webapp2",), "activatesAfter": ("webapp1",)}),
        "webapp1": GraphService(name="webapp1", kind="process"),
        "webapp2": GraphService(name="webapp2", kind="sysvinit-script", dependencies={"dependsOn": ("webapp1",)}),
    }


def write(models: Path, name: str, text: str) -> str:
    (models / name).write_text(text)
    return str(models / name)


@pytest.mark.parametrize(("services", "message"), [
    ('{}: { a = { name = "b"; }; }', "service 'a' is named 'b'; a service's name must be its attribute name"),
    ("{}: { a = { type = \"process\"; }; }", "service 'a' of the services model has no name attribute"),
    ('{}: { a = { name = "a"; dependsOn.x = 1; }; }', "dependsOn.x of service 'a' is not a service"),
    ('{}: { a = { name = "a"; dependsOn.x = { name = "ghost"; }; }; }',
     "service 'a' depends on 'ghost' \\(dependsOn\\), which is not in the model"),
    ("{}: [ ]", "the services model must evaluate to an attribute set, but it is a list"),
])
def test_services_model_mistakes_are_named(store: Store, models: Path, services: str, message: str) -> None:
    from nixproc_disnix.graph import dependency_graph

    request = GraphRequest(build=BuildRequest(None, None, pkgs="stub"), services=write(models, "bad.nix", services))
    with pytest.raises(GraphError, match=message):
        dependency_graph(graph_model(store, request))


def test_a_distribution_of_an_unknown_service_is_refused(store: Store, models: Path) -> None:
    distribution = write(models, "dist.nix", "{ infrastructure }: { ghost = [ infrastructure.test1 ]; }")
    request = GraphRequest(build=processes(models), infrastructure=str(models / "infrastructure.nix"),
                           distribution=distribution)
    with pytest.raises(GraphError, match="the distribution model maps 'ghost', which is not a service of the model"):
        graph_model(store, request)


@pytest.mark.parametrize(("fields", "message"), [
    ({"services": "services.nix"}, "give either a processes model or a services model"),
    ({"distribution": "distribution.nix"}, "An infrastructure expression must be specified with a distribution"),
    ({"infrastructure": "infrastructure.nix"}, "an infrastructure model \\(-i\\) is only used with"),
])
def test_inconsistent_requests(store: Store, models: Path, fields: dict[str, str], message: str) -> None:
    request = GraphRequest(build=processes(models), **{key: str(models / value) for key, value in fields.items()})
    with pytest.raises(GraphError, match=message):
        graph_model(store, request)


def test_a_missing_model_file_is_named(store: Store, models: Path) -> None:
    request = GraphRequest(build=BuildRequest(None, None), services=str(models / "nope.nix"))
    with pytest.raises(GraphError, match="services model '.*nope.nix' does not exist"):
        graph_model(store, request)
