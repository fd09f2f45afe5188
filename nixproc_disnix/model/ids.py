"""The formats dydisnix id-assign reads and writes (SPEC §1.6, §8.2, §8.5).

``IdResources`` is ``idresources.nix``, ``Ids`` is ``ids.nix`` (or its XML
twin), ``IdRequirements`` and ``DistributionTable`` are the parts of an
evaluated services and distribution model that id-assign looks at. Each model
is built from plain data (the dicts/lists/ints/strings an evaluated Nix
expression becomes) or parsed from XML, and the file formats render byte for
byte like upstream's printers.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from nixproc_disnix.errors import IdAssignError, Pos

DEFAULT_SERVICE_PROPERTY = "requiresUniqueIdsFor"
GLOBAL_SCOPE = "global"
MACHINE_SCOPE = "machine"

_M = TypeVar("_M", bound=BaseModel)

# File formats are validated strictly (a Nix `true` is no id); the in-memory
# inputs built by Python callers accept any collection.
_STRICT = ConfigDict(strict=True, extra="ignore", populate_by_name=True)
_LAX = ConfigDict(extra="ignore")


class IdResource(BaseModel):
    """One pool of ids, e.g. ``uids = { min = 2000; max = 3000; }``.

    ``scope`` stays a free string: an unknown scope is only an error when the
    resource is used for assignment (``Unknown scope: <s>``), as upstream.
    """

    model_config = _STRICT

    min: int = 0
    max: int = 0
    scope: str = GLOBAL_SCOPE
    step: int = Field(default=1, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _null_means_missing(cls, value: Any) -> Any:
        # Nix `null` (and an empty XML element) count as an absent attribute.
        if isinstance(value, Mapping):
            return {key: item for key, item in value.items() if item is not None}
        return value

    @field_validator("scope")
    @classmethod
    def _empty_scope_is_global(cls, scope: str) -> str:
        return scope or GLOBAL_SCOPE

    @field_validator("step")
    @classmethod
    def _zero_step_is_one(cls, step: int) -> int:
        return step or 1

    @property
    def size(self) -> int:
        """How many ids ``[min, max]`` holds (≤ 0 when min > max); upstream's depletion bound."""
        return self.max - self.min + 1


class IdResources(BaseModel):
    """``idresources.nix``: resource name → pool."""

    model_config = _STRICT

    resources: dict[str, IdResource] = Field(default_factory=dict)

    @classmethod
    def from_data(cls, value: Any) -> IdResources:
        """Validate an evaluated ``idresources.nix``."""
        return _validate(cls, value, "ID resources model", field="resources")

    @classmethod
    def parse_xml(cls, text: str | bytes, source: str | None = None) -> IdResources:
        """Read the XML input form ``<resources><resource name="R"><min>…</min>…</resource></resources>``."""
        root = _parse_xml_root(text, "resources", source)
        data: dict[str, dict[str, Any]] = {}
        for element in _named_children(root, "resource"):
            name = element.attrib["name"]
            properties: dict[str, Any] = {}
            for child in element:
                value = (child.text or "").strip()
                if child.tag == "scope":
                    properties["scope"] = value
                elif child.tag in ("min", "max", "step") and value:
                    properties[child.tag] = _xml_int(value, f"resource '{name}', <{child.tag}>")
            data[name] = properties
        return cls.from_data(data)

    def render_nix(self) -> str:
        """An ``idresources.nix`` equivalent to this model (step included)."""
        return _render_nix({name: resource.model_dump() for name, resource in self.resources.items()})

    def render_xml(self) -> str:
        """The XML input form of §8.2, readable by :meth:`parse_xml`."""
        lines = ["<resources>"]
        for name in sorted(self.resources):
            resource = self.resources[name]
            lines.append(f'  <resource name="{_xml_attribute(name)}">')
            lines.append(f"    <min>{resource.min}</min>")
            lines.append(f"    <max>{resource.max}</max>")
            lines.append(f"    <scope>{_xml_text(resource.scope)}</scope>")
            lines.append(f"    <step>{resource.step}</step>")
            lines.append("  </resource>")
        lines.append("</resources>")
        return "\n".join(lines)


class Ids(BaseModel):
    """``ids.nix``: the assignments id-assign keeps between runs.

    ``ids``: resource → service → id; ``last_assignments``
    (``lastAssignments``): resource → last id handed out in global scope;
    ``last_assignments_per_target`` (``lastAssignmentsPerTarget``):
    target → resource → last id handed out there in machine scope.
    """

    model_config = _STRICT

    ids: dict[str, dict[str, int]] = Field(default_factory=dict)
    last_assignments: dict[str, int] = Field(default_factory=dict, alias="lastAssignments")
    last_assignments_per_target: dict[str, dict[str, int]] = Field(
        default_factory=dict, alias="lastAssignmentsPerTarget"
    )

    @classmethod
    def from_data(cls, value: Any) -> Ids:
        """Validate an evaluated ``ids.nix``; absent sections are empty."""
        return _validate(cls, value, "IDs model")

    @classmethod
    def parse_xml(cls, text: str | bytes, source: str | None = None) -> Ids:
        """Read the layout :meth:`render_xml` writes (the ``--xml`` form of ``--ids``)."""
        root = _parse_xml_root(text, "ids", source)
        ids: dict[str, dict[str, int]] = {}
        last_assignments: dict[str, int] = {}
        per_target: dict[str, dict[str, int]] = {}
        for section in root:
            if section.tag == "ids":
                for resource in _named_children(section, "resource"):
                    ids[resource.attrib["name"]] = _xml_assignments(resource)
            elif section.tag == "lastAssignments":
                last_assignments = _xml_assignments(section)
            elif section.tag == "lastAssignmentsPerTarget":
                for target in _named_children(section, "target"):
                    per_target[target.attrib["name"]] = _xml_assignments(target)
        return cls.model_construct(
            ids=ids, last_assignments=last_assignments, last_assignments_per_target=per_target
        )

    def _sections(self) -> dict[str, Mapping[str, Any]]:
        sections: dict[str, Mapping[str, Any]] = {"ids": self.ids}
        if self.last_assignments:
            sections["lastAssignments"] = self.last_assignments
        if self.last_assignments_per_target:
            sections["lastAssignmentsPerTarget"] = self.last_assignments_per_target
        return sections

    def render_nix(self) -> str:
        """``ids.nix`` exactly as dydisnix-id-assign prints it (§8.5)."""
        return _render_nix(self._sections())

    def render_json(self) -> str:
        """The ``--json`` form: every section under its Nix name (``lastAssignments``, ...), indented."""
        return self.model_dump_json(by_alias=True, indent=2) + "\n"

    def render_xml(self) -> str:
        """The ``--output-xml`` form (§8.5)."""
        lines = ["<ids>", "  <ids>"]
        for resource in sorted(self.ids):
            _xml_assignment_block(lines, "resource", resource, self.ids[resource])
        lines.append("  </ids>")
        if self.last_assignments:
            lines.append("  <lastAssignments>")
            _xml_assignment_lines(lines, self.last_assignments, "    ")
            lines.append("  </lastAssignments>")
        if self.last_assignments_per_target:
            lines.append("  <lastAssignmentsPerTarget>")
            for target in sorted(self.last_assignments_per_target):
                _xml_assignment_block(lines, "target", target, self.last_assignments_per_target[target])
            lines.append("  </lastAssignmentsPerTarget>")
        lines.append("</ids>")
        return "\n".join(lines)


class IdRequirements(BaseModel):
    """Every service of the services model with the resources it requires ids for.

    Services requiring nothing are present too: an assignment survives a run
    only while its service still exists (§8.3).
    """

    model_config = _LAX

    services: dict[str, frozenset[str]] = Field(default_factory=dict)

    @classmethod
    def from_services(
        cls, services: Any, service_property: str = DEFAULT_SERVICE_PROPERTY
    ) -> IdRequirements:
        """Extract requirements from an evaluated services model.

        A service requires R iff its ``service_property`` is a list containing
        the string R; any other value requires nothing (§8.2).
        """
        if not isinstance(services, Mapping):
            raise IdAssignError(f"invalid services model: expected an attribute set, not {_kind(services)}")
        requirements: dict[str, frozenset[str]] = {}
        for name, service in services.items():
            if not isinstance(service, Mapping):
                raise IdAssignError(f"invalid services model: {name}: expected an attribute set, not {_kind(service)}")
            wanted = service.get(service_property)
            requirements[name] = (
                frozenset(item for item in wanted if isinstance(item, str))
                if isinstance(wanted, (list, tuple))
                else frozenset()
            )
        return cls.model_construct(services=requirements)

    @classmethod
    def parse_xml(
        cls, text: str | bytes, source: str | None = None, service_property: str = DEFAULT_SERVICE_PROPERTY
    ) -> IdRequirements:
        """Read the ``--xml`` services form: ``<services><service name="S"><P><elem>R</elem>…</P>…``.

        A property with ``<elem>`` children is a list; one with only text is
        a string and so requires nothing.
        """
        root = _parse_xml_root(text, "services", source)
        services: dict[str, Any] = {}
        for service in _named_children(root, "service"):
            properties: dict[str, Any] = {}
            for child in service:
                elems = list(child.iter("elem"))
                properties[child.tag] = [(elem.text or "").strip() for elem in elems] if elems else child.text
            services[service.attrib["name"]] = properties
        return cls.from_services(services, service_property)


class DistributionTable(BaseModel):
    """An evaluated distribution model: service → names of the targets it is mapped to."""

    model_config = _LAX

    targets: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @classmethod
    def from_data(cls, value: Any) -> DistributionTable:
        """Validate service → list of target names (lists may be empty)."""
        return _validate(cls, value, "distribution model", field="targets")

    @classmethod
    def parse_xml(cls, text: str | bytes, source: str | None = None) -> DistributionTable:
        """Read the ``--xml`` distribution form: ``<distribution><service name="S"><mapping><target>T</target>…``.

        Every ``<target>`` below a service counts, with or without the
        ``<mapping>`` wrapper (which may also name a ``<container>``).
        """
        root = _parse_xml_root(text, "distribution", source)
        return cls.from_data({
            service.attrib["name"]: [(target.text or "").strip() for target in service.iter("target")]
            for service in _named_children(root, "service")
        })

    def services_per_target(self) -> dict[str, list[str]]:
        """Target → the services mapped to it, both sorted; only targets hosting a service."""
        hosted: dict[str, set[str]] = {}
        for service, targets in self.targets.items():
            for target in targets:
                hosted.setdefault(target, set()).add(service)
        return {target: sorted(hosted[target]) for target in sorted(hosted)}


_EXPECTED = {
    "model_type": "an attribute set",
    "dict_type": "an attribute set",
    "int_type": "an integer",
    "string_type": "a string",
    "tuple_type": "a list",
}


def _validate(model: type[_M], value: Any, what: str, field: str | None = None) -> _M:
    """Validate plain data, turning pydantic's report into one IdAssignError naming the culprit."""
    if not isinstance(value, Mapping):
        raise IdAssignError(f"invalid {what}: expected an attribute set, not {_kind(value)}")
    try:
        return model.model_validate({field: value} if field else value)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"][1 if field else 0 :])
        expected = _EXPECTED.get(first["type"])
        problem = f"expected {expected}, not {_kind(first['input'])}" if expected else first["msg"]
        raise IdAssignError(f"invalid {what}: " + (f"{where}: " if where else "") + problem) from None


def _kind(value: Any) -> str:
    """How Nix would name the type of an evaluated value."""
    if isinstance(value, bool):
        return "a Boolean"
    if isinstance(value, Mapping):
        return "an attribute set"
    if isinstance(value, (list, tuple)):
        return "a list"
    return {str: "a string", int: "an integer", float: "a float", type(None): "null"}.get(
        type(value), type(value).__name__
    )


# Nix rendering ---------------------------------------------------------------


def _nix_string(text: str) -> str:
    """A double-quoted Nix string; ``${`` is escaped too so the output never interpolates."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("${", "\\${")
    return f'"{escaped}"'


def _render_nix(attrs: Mapping[str, Any]) -> str:
    out: list[str] = []
    _nix_attrset(attrs, 0, out)
    return "".join(out)


def _nix_attrset(attrs: Mapping[str, Any], depth: int, out: list[str]) -> None:
    """Upstream NixXML layout: ``{``, one attribute per line, ``}`` at the parent's indentation."""
    out.append("{\n")
    pad = "  " * (depth + 1)
    for key in sorted(attrs):
        value = attrs[key]
        out.append(f"{pad}{_nix_string(key)} = ")
        if isinstance(value, Mapping):
            _nix_attrset(value, depth + 1, out)
        elif isinstance(value, str):
            out.append(_nix_string(value))
        else:
            out.append(str(value))
        out.append(";\n")
    out.append("  " * depth + "}")


# XML rendering and parsing ---------------------------------------------------


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attribute(text: str) -> str:
    """Escape for a double-quoted attribute; whitespace as references so parsing gives it back unchanged."""
    return (
        _xml_text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    )


def _xml_assignment_lines(lines: list[str], assignments: Mapping[str, int], pad: str) -> None:
    for name in sorted(assignments):
        lines.append(f'{pad}<assignment name="{_xml_attribute(name)}">{assignments[name]}</assignment>')


def _xml_assignment_block(lines: list[str], tag: str, name: str, assignments: Mapping[str, int]) -> None:
    lines.append(f'    <{tag} name="{_xml_attribute(name)}">')
    _xml_assignment_lines(lines, assignments, "      ")
    lines.append(f"    </{tag}>")


def _parse_xml_root(text: str | bytes, root_tag: str, source: str | None) -> ET.Element:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        line, column = error.position
        raise IdAssignError(f"cannot parse XML: {error}", Pos(source or "«xml»", line, column + 1)) from None
    if root.tag != root_tag:
        raise IdAssignError(f"expected XML root element <{root_tag}>, found <{root.tag}>")
    return root


def _named_children(parent: ET.Element, tag: str) -> list[ET.Element]:
    """The ``<tag name="…">`` children of ``parent``; other elements are an error."""
    children = list(parent)
    for child in children:
        if child.tag != tag:
            raise IdAssignError(f"unexpected element <{child.tag}> in <{parent.tag}>, expected <{tag}>")
        if "name" not in child.attrib:
            raise IdAssignError(f"<{tag}> in <{parent.tag}> lacks a name attribute")
    return children


def _xml_assignments(parent: ET.Element) -> dict[str, int]:
    return {
        element.attrib["name"]: _xml_int((element.text or "").strip(), f'<assignment name="{element.attrib["name"]}">')
        for element in _named_children(parent, "assignment")
    }


def _xml_int(text: str, where: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise IdAssignError(f"{where}: expected an integer, found '{text}'") from None
