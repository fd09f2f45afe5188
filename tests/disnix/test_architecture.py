"""Disnix models evaluated, normalised into a manifest, and planned: distribution forms, inter-dependencies,
service containers, target properties, and the order of (de)activation. No processes run here."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from nixproc_disnix.disnix.architecture import DisnixModels, build_packages, evaluate_architecture
from nixproc_disnix.disnix.env import container_file
from nixproc_disnix.disnix.manifest import foreign_targets, manifest_of
from nixproc_disnix.disnix.transition import plan_transition, render_transition
from nixproc_disnix.errors import DeployError, EvalError
from nixproc_disnix.model.disnix import Manifest, ManifestService, ServiceMapping
from nixproc_disnix.store.store import Store

SERVICES = textwrap.dedent("""\
    { system, pkgs, distribution, invDistribution, greeting ? "hello" }:

    let
      text = name: content: derivation {
        inherit name system content;
        builder = "/bin/sh";
        args = [ "-c" "echo \\"$content\\" > $out" ];
      };
    in
    rec {
      db = { name = "db"; type = "process"; pkg = text "db" greeting; };

      server = {
        name = "server";
        type = "process";
        pkg = text "server" "serving on ${builtins.toString (builtins.length (builtins.attrNames invDistribution))} targets";
        providesContainer = "app-container";
        port = 8080;
        secure = true;
      };

      app = {
        name = "app";
        type = "app-container";
        dependsOn = { inherit db; };
        pkg = { db }: text "app" "db at ${db.target.properties.hostname}:${db.target.container.dbPort}";
      };

      orphan = { name = "orphan"; type = "process"; pkg = text "orphan" "nowhere"; };
    }
""")

INFRASTRUCTURE = textwrap.dedent("""\
    {
      localhost = { properties.hostname = "localhost"; containers.process.dbPort = "5432"; };
      second = { properties = { hostname = "127.0.0.1"; alias = "two"; }; containers.app-container.port = "9090"; };
    }
""")

DISTRIBUTION = textwrap.dedent("""\
    { infrastructure }:
    {
      db = [ infrastructure.localhost ];
      server = [ infrastructure.localhost infrastructure.second ];
      app = { targets = [ { target = infrastructure.localhost; container = "app-container"; } ]; };
    }
""")


@pytest.fixture
def models(tmp_path: Path) -> DisnixModels:
    for name, content in (("services.nix", SERVICES), ("infrastructure.nix", INFRASTRUCTURE),
                          ("distribution.nix", DISTRIBUTION)):
        (tmp_path / name).write_text(content)
    return DisnixModels(str(tmp_path / "services.nix"), str(tmp_path / "infrastructure.nix"),
                        str(tmp_path / "distribution.nix"), extra_params='{ greeting = "hi"; }', pkgs="stub")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(str(tmp_path / "nixproc")) as opened:
        yield opened  # type: ignore[misc]


def test_models_evaluate_and_build(store: Store, models: DisnixModels) -> None:
    architecture = evaluate_architecture(store, models)
    services = architecture.services
    assert [(m.target, m.container) for m in services["server"].mappings] == [
        ("localhost", "process"), ("second", "process")]
    assert [(m.target, m.container) for m in services["app"].mappings] == [("localhost", "app-container")]
    assert services["orphan"].mappings == [] and services["app"].depends_on == ["db"]
    assert services["server"].provides_containers == {"app-container": {"port": 8080, "secure": True}}
    build_packages(store, architecture)
    # --extra-params reached the services model; the inter-dependency saw db's target and container.
    assert Path(services["db"].pkg).read_text() == "hi\n"
    assert Path(services["app"].pkg).read_text() == "db at localhost:5432\n"
    assert Path(services["server"].pkg).read_text() == "serving on 2 targets\n"
    assert services["orphan"].pkg is None  # distributed nowhere: not built


def test_manifest_containers_providers_and_order(store: Store, models: DisnixModels) -> None:
    architecture = evaluate_architecture(store, models)
    provided = {("server-pkg", "app-container"): {"port": "1", "fromPackage": "yes"}}
    manifest = manifest_of(architecture, None, lambda pkg, container: provided.get(("server-pkg", container), {})
                           if pkg == architecture.services["server"].pkg else {})
    localhost = manifest.targets["localhost"].containers["app-container"]
    # Package file < the provider's declaration < the infrastructure model (none for localhost here).
    assert localhost.provider == "server"
    assert localhost.properties == {"port": "8080", "fromPackage": "yes", "secure": "1"}
    # On the second machine the infrastructure model names the container itself; nothing is deployed into it.
    assert "app-container" not in manifest.targets["second"].containers
    assert manifest.services["app"].activates_after == ["db", "server"]
    assert "orphan" not in manifest.services
    assert manifest.targets["second"].address == "127.0.0.1"
    assert foreign_targets(manifest, frozenset({"localhost"})) == ["second (127.0.0.1)"]
    with pytest.raises(DeployError, match="target 'localhost' has no property 'alias'"):
        manifest_of(architecture, "alias", container_file)
    plan = plan_transition(Manifest(), manifest, "/new")
    assert [[process.name for process in level] for level in plan.start] == [
        ["db on localhost (process)", "server on localhost (process)", "server on second (process)"],
        ["app on localhost (app-container)"],
    ]


@pytest.mark.parametrize(("distribution", "message"), [
    ("{ infrastructure }: { nothere = [ infrastructure.localhost ]; }", "maps 'nothere', which is not a service"),
    ("{ infrastructure }: { db = [ { properties.hostname = \"elsewhere\"; } ]; }",
     "service 'db' is mapped to a target that is not in the infrastructure model"),
])
def test_bad_distributions_are_named(store: Store, models: DisnixModels, distribution: str, message: str) -> None:
    Path(models.distribution).write_text(distribution)
    with pytest.raises(EvalError, match=message):
        evaluate_architecture(store, models)


def test_a_service_must_carry_its_own_name(store: Store, models: DisnixModels) -> None:
    Path(models.services).write_text(SERVICES.replace('name = "db";', 'name = "database";'))
    with pytest.raises(EvalError, match="service 'db' is named 'database'"):
        evaluate_architecture(store, models)


def manifest(*services: tuple[str, str, list[str]]) -> Manifest:
    """A one-target manifest of (name, package, activated after) services in the ``process`` container."""
    return Manifest.model_validate({
        "services": {name: ManifestService(name=name, type="process", pkg=pkg, activates_after=after)
                     for name, pkg, after in services},
        "targets": {"localhost": {"address": "localhost"}},
        "mappings": [ServiceMapping(service=name, target="localhost", container="process") for name, _, _ in services],
    })


def test_transitions_touch_only_what_changed() -> None:
    old = manifest(("db", "/db-1", []), ("web", "/web-1", ["db"]), ("gone", "/gone", ["db"]))
    new = manifest(("db", "/db-1", []), ("web", "/web-2", ["db"]), ("extra", "/extra", []))
    plan = plan_transition(old, new, "/new")
    assert render_transition(plan) == (
        "deactivate: gone on localhost (process)\ndeactivate: web on localhost (process)\n"
        "activate: extra on localhost (process)\nactivate: web on localhost (process)\n"
        "unchanged: db on localhost (process)\n"
    )
    assert plan.restart == ("web on localhost (process)",)
    assert render_transition(plan_transition(new, new, "/new")) == (
        "unchanged: db on localhost (process), extra on localhost (process), web on localhost (process)\n"
        "nothing to do\n"
    )


def test_dependency_cycles_are_refused() -> None:
    cyclic = manifest(("a", "/a", ["b"]), ("b", "/b", ["a"]))
    with pytest.raises(DeployError, match="depend on each other in a cycle"):
        plan_transition(Manifest(), cyclic, "/new")
