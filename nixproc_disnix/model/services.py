"""A Disnix services model once evaluated (SPEC §7.1), and the infrastructure it is deployed to (§7.2).

``nixproc convert`` prints a processes model as a services model in two
evaluated forms: JSON (one object keyed by service name) and the XML layout
dydisnix-xml reads (``<services><service name="…">`` with one element per
attribute, list items as ``<elem>``), so ``dydisnix-id-assign --xml`` reads
it back.
"""
from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from pydantic import BaseModel, ConfigDict, Field, RootModel
from pydantic.alias_generators import to_camel

class Service(BaseModel):
    """One service: a process instance with its Dysnomia type, package and inter-dependencies.

    ``extra`` holds the instance's other plain attributes (``port``,
    ``dnsName``, ``requiresUniqueIdsFor``, …), which Disnix passes through.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    name: str
    type: str
    pkg: str
    depends_on: list[str] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "pkg": self.pkg, "dependsOn": self.depends_on, **self.extra}


class ServicesModel(RootModel[dict[str, Service]]):
    """Service name → service, in attrNames order."""

    def render_json(self) -> str:
        return json.dumps({name: service.to_data() for name, service in self.root.items()}, indent=2) + "\n"

    def render_xml(self) -> str:
        lines = ['<?xml version="1.0"?>', "<services>"]
        for name, service in self.root.items():
            lines.append(f"  <service name={quoteattr(name)}>")
            for attribute, value in service.to_data().items():
                lines.append(f"    {_xml_element(attribute, value)}")
            lines.append("  </service>")
        lines.append("</services>")
        return "\n".join(lines) + "\n"


def _xml_element(tag: str, value: Any) -> str:
    if isinstance(value, list):
        return f"<{tag}>" + "".join(_xml_element("elem", item) for item in value) + f"</{tag}>"
    if isinstance(value, dict):
        return f"<{tag}>" + "".join(_xml_element(key, item) for key, item in value.items()) + f"</{tag}>"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{tag}>{escape(str(value))}</{tag}>"


class Target(BaseModel):
    """One machine of an infrastructure model: its name, the hostname Disnix reaches it by, its containers.

    ``containers`` maps a container (a Dysnomia module type, e.g.
    ``managed-process``) to the properties its module gets.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    hostname: str
    containers: dict[str, dict[str, str]] = Field(default_factory=dict)

    @classmethod
    def parse(cls, value: str) -> Target:
        """``NAME[=HOSTNAME]`` as ``--target`` takes it; the hostname defaults to the name."""
        name, _, hostname = value.partition("=")
        return cls(name=name, hostname=hostname or name)
