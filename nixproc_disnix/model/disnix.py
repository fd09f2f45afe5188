"""A Disnix deployment: the evaluated architecture (SPEC §7.4) and the manifest of what is deployed.

``disnix/architecture.nix`` evaluates a services, infrastructure and
distribution model into an :class:`Architecture` (JSON). ``nixproc-disnix-env``
turns it into a :class:`Manifest`: the services with their built packages,
the targets with every container's final properties, and one
:class:`ServiceMapping` per service, target and container. A manifest is
what a generation of the coordinator profile records, so it is all a
rollback or an undeploy needs: nothing is evaluated again.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from nixproc_disnix.errors import DeployError

PropertyValue = str | int | float | bool
"""A property of a target or container as models write them; Dysnomia gets them as strings."""


def property_text(value: PropertyValue) -> str:
    """A property as Nix's ``toString`` makes it, which is how it reaches a module's environment."""
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class ArchitectureMapping(_Model):
    """A service on a target, in a container (the service's type unless the distribution names one)."""

    target: str
    container: str


class ArchitectureService(_Model):
    """A service as evaluated: ``pkg`` is its package's path (None: distributed nowhere, not built),
    ``derivations`` what to build to have it; the other lists name services."""

    name: str
    type: str
    pkg: str | None
    derivations: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    connects_to: list[str] = Field(default_factory=list)
    activates_after: list[str] = Field(default_factory=list)
    mappings: list[ArchitectureMapping] = Field(default_factory=list)
    provides_containers: dict[str, dict[str, PropertyValue]] = Field(default_factory=dict)


class ArchitectureTarget(_Model):
    """A machine of the infrastructure model: its plain properties and its containers'."""

    properties: dict[str, PropertyValue] = Field(default_factory=dict)
    containers: dict[str, dict[str, PropertyValue]] = Field(default_factory=dict)
    target_property: str | None = None


class Architecture(_Model):
    """What ``architecture.nix`` prints."""

    targets: dict[str, ArchitectureTarget]
    services: dict[str, ArchitectureService]

    @classmethod
    def parse(cls, text: str) -> Architecture:
        try:
            return cls.model_validate_json(text)
        except ValidationError as error:
            raise DeployError(f"the Disnix models do not describe a deployment: {error}") from None


class ManifestService(_Model):
    """A deployed service. ``activates_after`` holds every service it is activated after:
    its inter-dependencies, those it names to activate after, and the provider of its container."""

    name: str
    type: str
    pkg: str
    activates_after: list[str] = Field(default_factory=list)


class ManifestContainer(_Model):
    """A container on a target: the properties its module gets, and the service providing it (if any)."""

    properties: dict[str, str] = Field(default_factory=dict)
    provider: str | None = None


class ManifestTarget(_Model):
    """A machine deployed to: ``address`` is its target property's value (how it is reached)."""

    address: str
    containers: dict[str, ManifestContainer] = Field(default_factory=dict)


class ServiceMapping(_Model):
    """One service on one target in one container: the unit that is activated and deactivated."""

    service: str
    target: str
    container: str

    @property
    def key(self) -> str:
        """How the mapping is named in plans and messages."""
        return f"{self.service} on {self.target} ({self.container})"


class Manifest(_Model):
    """What one deployment deploys; the empty manifest is "nothing deployed"."""

    services: dict[str, ManifestService] = Field(default_factory=dict)
    targets: dict[str, ManifestTarget] = Field(default_factory=dict)
    mappings: list[ServiceMapping] = Field(default_factory=list)

    def render(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2) + "\n"

    @classmethod
    def parse(cls, text: str, source: str = "<manifest>") -> Manifest:
        try:
            return cls.model_validate_json(text)
        except ValidationError as error:
            raise DeployError(f"'{source}' is not a deployment manifest: {error}") from None

    def container_of(self, mapping: ServiceMapping) -> ManifestContainer:
        return self.targets[mapping.target].containers.get(mapping.container, ManifestContainer())
