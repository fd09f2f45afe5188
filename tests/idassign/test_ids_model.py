"""The id-assign file formats: defaults, validation, exact Nix/XML rendering, XML reading."""
from __future__ import annotations

import pytest

from nixproc_disnix.errors import IdAssignError
from nixproc_disnix.model.ids import DistributionTable, IdRequirements, IdResource, IdResources, Ids

SPEC_IDS = Ids(
    ids={"gids": {"svcA": 2000}, "ports": {}},
    lastAssignments={"gids": 2000},
    lastAssignmentsPerTarget={"test1": {"ports": 3000}},
)

SPEC_NIX = """{
  "ids" = {
    "gids" = {
      "svcA" = 2000;
    };
    "ports" = {
    };
  };
  "lastAssignments" = {
    "gids" = 2000;
  };
  "lastAssignmentsPerTarget" = {
    "test1" = {
      "ports" = 3000;
    };
  };
}"""

SPEC_XML = """<ids>
  <ids>
    <resource name="gids">
      <assignment name="svcA">2000</assignment>
    </resource>
    <resource name="ports">
    </resource>
  </ids>
  <lastAssignments>
    <assignment name="gids">2000</assignment>
  </lastAssignments>
  <lastAssignmentsPerTarget>
    <target name="test1">
      <assignment name="ports">3000</assignment>
    </target>
  </lastAssignmentsPerTarget>
</ids>"""


# IdResource defaults (§8.2) ------------------------------------------------------


def test_resource_defaults_when_everything_is_missing() -> None:
    resources = IdResources.from_data({"uids": {}})
    assert resources.resources["uids"] == IdResource(min=0, max=0, scope="global", step=1)


def test_resource_empty_scope_and_zero_step_and_null_bounds() -> None:
    resource = IdResources.from_data({"r": {"min": None, "max": 9, "scope": "", "step": 0}}).resources["r"]
    assert (resource.min, resource.max, resource.scope, resource.step) == (0, 9, "global", 1)


def test_resource_keeps_given_values_and_ignores_unknown_attributes() -> None:
    resource = IdResources.from_data(
        {"ports": {"min": 8000, "max": 9000, "scope": "machine", "step": 10, "comment": "x"}}
    ).resources["ports"]
    assert (resource.min, resource.max, resource.scope, resource.step) == (8000, 9000, "machine", 10)


def test_unknown_scope_is_accepted_by_the_model() -> None:
    # Upstream only complains when assigning; see test_id_assignment.
    assert IdResources.from_data({"r": {"scope": "galaxy"}}).resources["r"].scope == "galaxy"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "invalid ID resources model: expected an attribute set, not a list"),
        ({"uids": 3}, "invalid ID resources model: uids: expected an attribute set, not an integer"),
        ({"uids": {"min": True}}, "invalid ID resources model: uids.min: expected an integer, not a Boolean"),
        ({"uids": {"max": "10"}}, "invalid ID resources model: uids.max: expected an integer, not a string"),
        ({"uids": {"scope": 1}}, "invalid ID resources model: uids.scope: expected a string, not an integer"),
    ],
)
def test_resource_errors_name_the_culprit(data: object, message: str) -> None:
    with pytest.raises(IdAssignError) as error:
        IdResources.from_data(data)
    assert error.value.message == message


def test_negative_step_is_rejected() -> None:
    with pytest.raises(IdAssignError, match=r"^invalid ID resources model: uids\.step: "):
        IdResources.from_data({"uids": {"step": -2}})


# Ids from plain data ----------------------------------------------------------


def test_ids_from_data_reads_upstream_names_and_defaults_missing_sections() -> None:
    ids = Ids.from_data({"ids": {"uids": {"a": 1}}, "lastAssignments": {"uids": 1}})
    assert ids.ids == {"uids": {"a": 1}}
    assert ids.last_assignments == {"uids": 1}
    assert ids.last_assignments_per_target == {}
    assert Ids.from_data({}) == Ids()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("ids", "invalid IDs model: expected an attribute set, not a string"),
        ({"ids": {"uids": {"a": "1"}}}, "invalid IDs model: ids.uids.a: expected an integer, not a string"),
        ({"ids": {"uids": []}}, "invalid IDs model: ids.uids: expected an attribute set, not a list"),
        ({"lastAssignments": {"uids": False}}, "invalid IDs model: lastAssignments.uids: expected an integer, not a Boolean"),
        (
            {"lastAssignmentsPerTarget": {"t1": {"ports": None}}},
            "invalid IDs model: lastAssignmentsPerTarget.t1.ports: expected an integer, not null",
        ),
    ],
)
def test_ids_errors_name_the_culprit(data: object, message: str) -> None:
    with pytest.raises(IdAssignError) as error:
        Ids.from_data(data)
    assert error.value.message == message


# Services and distribution ---------------------------------------------------


def test_requirements_follow_requires_unique_ids_for() -> None:
    services = {
        "webapp": {"name": "webapp", "requiresUniqueIdsFor": ["uids", "gids"]},
        "nginx": {"name": "nginx"},
        "odd": {"requiresUniqueIdsFor": ["uids", 3, None, ["gids"]]},
        "string": {"requiresUniqueIdsFor": "uids"},
        "attrs": {"requiresUniqueIdsFor": {"uids": True}},
    }
    requirements = IdRequirements.from_services(services)
    assert requirements.services == {
        "webapp": frozenset({"uids", "gids"}),
        "nginx": frozenset(),
        "odd": frozenset({"uids"}),
        "string": frozenset(),
        "attrs": frozenset(),
    }


def test_requirements_property_name_override() -> None:
    services = {
        "a": {"requiresUniqueIdsFor": ["uids"], "needsIds": ["ports"]},
        "b": {"requiresUniqueIdsFor": ["uids"]},
    }
    requirements = IdRequirements.from_services(services, "needsIds")
    assert requirements.services == {"a": frozenset({"ports"}), "b": frozenset()}


def test_requirements_reject_non_attrsets() -> None:
    with pytest.raises(IdAssignError, match="^invalid services model: a: expected an attribute set, not a list$"):
        IdRequirements.from_services({"a": []})
    with pytest.raises(IdAssignError, match="^invalid services model: expected an attribute set, not an integer$"):
        IdRequirements.from_services(1)


def test_distribution_services_per_target_sorted_and_only_hosting_targets() -> None:
    distribution = DistributionTable.from_data({"b": ["t2", "t1"], "a": ["t2"], "c": [], "d": ["t2", "t2"]})
    assert distribution.targets["c"] == ()
    assert distribution.services_per_target() == {"t1": ["b"], "t2": ["a", "b", "d"]}


def test_distribution_errors() -> None:
    with pytest.raises(IdAssignError, match="^invalid distribution model: a: expected a list, not a string$"):
        DistributionTable.from_data({"a": "t1"})
    with pytest.raises(IdAssignError, match=r"^invalid distribution model: a\.0: expected a string, not an integer$"):
        DistributionTable.from_data({"a": [1]})


# Nix rendering (§8.5) --------------------------------------------------------


def test_render_nix_matches_the_spec_example() -> None:
    assert SPEC_IDS.render_nix() == SPEC_NIX


def test_render_nix_of_nothing_keeps_ids_and_omits_empty_sections() -> None:
    assert Ids().render_nix() == '{\n  "ids" = {\n  };\n}'


def test_render_nix_empty_per_target_table_closes_at_parent_indentation() -> None:
    ids = Ids(ids={}, lastAssignmentsPerTarget={"t3": {}})
    assert ids.render_nix() == (
        "{\n"
        '  "ids" = {\n'
        "  };\n"
        '  "lastAssignmentsPerTarget" = {\n'
        '    "t3" = {\n'
        "    };\n"
        "  };\n"
        "}"
    )


def test_render_nix_sorts_keys_bytewise() -> None:
    ids = Ids(ids={"r": {"é": 4, "a": 3, "_": 2, "B": 1}})
    body = ids.render_nix().splitlines()[3:7]
    assert body == ['      "B" = 1;', '      "_" = 2;', '      "a" = 3;', '      "é" = 4;']


def test_render_nix_escapes_keys() -> None:
    ids = Ids(ids={'we"ird\\na\nme${x}': {"s": -5}})
    assert ids.render_nix().splitlines()[2] == '    "we\\"ird\\\\na\\nme\\${x}" = {'
    assert '"s" = -5;' in ids.render_nix()


def test_render_nix_has_no_trailing_newline() -> None:
    assert not SPEC_IDS.render_nix().endswith("\n")
    assert not SPEC_IDS.render_xml().endswith("\n")


def test_resources_render_nix() -> None:
    resources = IdResources.from_data({"uids": {"min": 2000, "max": 3000}, "ports": {"min": 8000, "max": 8999, "scope": "machine", "step": 2}})
    assert resources.render_nix() == (
        "{\n"
        '  "ports" = {\n'
        '    "max" = 8999;\n'
        '    "min" = 8000;\n'
        '    "scope" = "machine";\n'
        '    "step" = 2;\n'
        "  };\n"
        '  "uids" = {\n'
        '    "max" = 3000;\n'
        '    "min" = 2000;\n'
        '    "scope" = "global";\n'
        '    "step" = 1;\n'
        "  };\n"
        "}"
    )


# XML rendering and reading ---------------------------------------------------


def test_render_xml_matches_the_spec_example() -> None:
    assert SPEC_IDS.render_xml() == SPEC_XML


def test_render_xml_of_nothing() -> None:
    assert Ids().render_xml() == "<ids>\n  <ids>\n  </ids>\n</ids>"


def test_render_xml_escapes_names() -> None:
    ids = Ids(ids={"a<b>": {'c&"d': 1}})
    assert ids.render_xml().splitlines()[2:4] == [
        '    <resource name="a&lt;b&gt;">',
        '      <assignment name="c&amp;&quot;d">1</assignment>',
    ]


def test_parse_xml_reads_the_spec_example() -> None:
    assert Ids.parse_xml(SPEC_XML) == SPEC_IDS


def test_xml_round_trip_with_hostile_names_and_empty_tables() -> None:
    ids = Ids(
        ids={"a<b>&'\"": {"line\nbreak\ttab": 1, " spaced ": -2}, "empty": {}},
        lastAssignments={"a<b>&'\"": 1},
        lastAssignmentsPerTarget={"t&1": {"ports": 7}, "t2": {}},
    )
    assert Ids.parse_xml(ids.render_xml()) == ids


def test_parse_xml_missing_sections_are_empty() -> None:
    assert Ids.parse_xml("<ids/>") == Ids()


def test_parse_xml_errors() -> None:
    with pytest.raises(IdAssignError) as error:
        Ids.parse_xml("<ids>\n  <ids>\n</ids>", source="ids.xml")
    assert error.value.pos is not None and error.value.pos.file == "ids.xml" and error.value.pos.line == 3
    with pytest.raises(IdAssignError, match=r"^expected XML root element <ids>, found <resources>$"):
        Ids.parse_xml("<resources/>")
    with pytest.raises(IdAssignError, match=r"""^<assignment name="a">: expected an integer, found 'x'$"""):
        Ids.parse_xml('<ids><ids><resource name="r"><assignment name="a">x</assignment></resource></ids></ids>')
    with pytest.raises(IdAssignError, match=r"^<resource> in <ids> lacks a name attribute$"):
        Ids.parse_xml("<ids><ids><resource/></ids></ids>")


def test_resources_parse_xml_input_form() -> None:
    text = """<resources>
  <resource name="uids"><min>2000</min><max>3000</max><scope>global</scope></resource>
  <resource name="ports"><min> 8000 </min><max>8999</max><scope></scope><step>5</step></resource>
  <resource name="bare"/>
</resources>"""
    assert IdResources.parse_xml(text) == IdResources.from_data(
        {
            "uids": {"min": 2000, "max": 3000},
            "ports": {"min": 8000, "max": 8999, "step": 5},
            "bare": {},
        }
    )


def test_resources_xml_round_trip() -> None:
    resources = IdResources.from_data(
        {"uids": {"min": 2000, "max": 3000}, "p<o>rts": {"min": 1, "max": 9, "scope": "machine", "step": 4}}
    )
    assert resources.render_xml() == (
        "<resources>\n"
        '  <resource name="p&lt;o&gt;rts">\n'
        "    <min>1</min>\n"
        "    <max>9</max>\n"
        "    <scope>machine</scope>\n"
        "    <step>4</step>\n"
        "  </resource>\n"
        '  <resource name="uids">\n'
        "    <min>2000</min>\n"
        "    <max>3000</max>\n"
        "    <scope>global</scope>\n"
        "    <step>1</step>\n"
        "  </resource>\n"
        "</resources>"
    )
    assert IdResources.parse_xml(resources.render_xml()) == resources


def test_resources_parse_xml_bad_integer() -> None:
    with pytest.raises(IdAssignError, match=r"^resource 'uids', <max>: expected an integer, found 'lots'$"):
        IdResources.parse_xml('<resources><resource name="uids"><max>lots</max></resource></resources>')
