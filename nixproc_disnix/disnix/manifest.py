"""From an evaluated architecture to the manifest of a deployment (SPEC §7.4). Pure.

What Disnix's normalisation and ``disnix-manifest`` decide, for the
services that are distributed somewhere:

- a target's address is its target property (``--target-property``, the
  target's own ``targetProperty``, else ``hostname``);
- a container's properties are, from weakest to strongest: the
  ``etc/dysnomia/containers/<container>`` file of the package of the
  service providing it on that target, that service's own container
  properties (``providesContainer(s)``), the infrastructure model's;
- a service is activated after its inter-dependencies (``dependsOn``),
  the services it names in ``activatesAfter``, and the provider of its
  container; ``connectsTo`` only passes information, so it may form cycles.
"""
from __future__ import annotations

import socket
from collections.abc import Callable, Iterable

from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.disnix import (
    Architecture,
    Manifest,
    ManifestContainer,
    ManifestService,
    ManifestTarget,
    PropertyValue,
    ServiceMapping,
    property_text,
)

DEFAULT_TARGET_PROPERTY = "hostname"

ContainerFile = Callable[[str, str], dict[str, str]]
"""(package, container) → the properties of the package's ``etc/dysnomia/containers/<container>`` (none if absent)."""


def manifest_of(architecture: Architecture, target_property: str | None, container_file: ContainerFile) -> Manifest:
    """The manifest deploying ``architecture``; ``target_property`` None means each target's own, else hostname."""
    services = architecture.services
    for service in services.values():
        for dependency in [*service.depends_on, *service.activates_after, *service.connects_to]:
            if dependency not in services:
                raise DeployError(f"service '{service.name}' depends on '{dependency}', which is not a service of the model")
    distributed = [service for service in services.values() if service.mappings]
    packages = {service.name: service.pkg for service in distributed if service.pkg is not None}
    mappings = [
        ServiceMapping(service=service.name, target=mapping.target, container=mapping.container)
        for service in distributed
        for mapping in service.mappings
    ]
    providers = {
        (mapping.target, container): service.name
        for service in distributed
        for mapping in service.mappings
        for container in service.provides_containers
    }
    targets = {}
    for name in sorted({mapping.target for mapping in mappings}):
        target = architecture.targets[name]
        property_name = target_property or target.target_property or DEFAULT_TARGET_PROPERTY
        if property_name not in target.properties:
            raise DeployError(f"target '{name}' has no property '{property_name}' to reach it by")
        containers = {}
        for container in sorted({mapping.container for mapping in mappings if mapping.target == name}):
            provider = providers.get((name, container))
            properties: dict[str, str] = {}
            if provider is not None:
                properties.update(container_file(packages[provider], container))
                properties.update(_texts(services[provider].provides_containers[container].items()))
            properties.update(_texts(target.containers.get(container, {}).items()))
            containers[container] = ManifestContainer(properties=properties, provider=provider)
        targets[name] = ManifestTarget(address=property_text(target.properties[property_name]), containers=containers)
    return Manifest(
        services={
            service.name: ManifestService(
                name=service.name,
                type=service.type,
                pkg=packages[service.name],
                activates_after=_unique([
                    *service.depends_on,
                    *service.activates_after,
                    *(providers[(mapping.target, mapping.container)] for mapping in service.mappings
                      if (mapping.target, mapping.container) in providers),
                ], exclude=service.name),
            )
            for service in distributed
        },
        targets=targets,
        mappings=mappings,
    )


def _texts(items: Iterable[tuple[str, PropertyValue]]) -> dict[str, str]:
    return {name: property_text(value) for name, value in items}


def _unique(names: list[str], exclude: str) -> list[str]:
    return [name for index, name in enumerate(names) if name != exclude and name not in names[:index]]


def this_machine() -> frozenset[str]:
    """The addresses that mean this machine: the loopback names and this host's own names."""
    return frozenset({"localhost", "127.0.0.1", "::1", socket.gethostname(), socket.getfqdn()})


def foreign_targets(manifest: Manifest, local: frozenset[str]) -> list[str]:
    """The targets of ``manifest`` that are not this machine, as ``name (address)``."""
    return [f"{name} ({target.address})" for name, target in manifest.targets.items() if target.address not in local]
