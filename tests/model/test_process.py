"""The agnostic process JSON (SPEC §2.6) and createManagedProcess's defaults (§2.1, §2.2)."""
from __future__ import annotations

import pytest

from nixproc_disnix.errors import EvalError, ThrownError
from nixproc_disnix.model.credentials import Credentials
from nixproc_disnix.model.nix_json import attr_names, to_json, to_string
from nixproc_disnix.model.process import NO_NAME_MESSAGE, ProcessParams, resolve

WEBAPP_JSON = (
    '{"credentials":{"groups":{"webapp":{}},"users":{"webapp":{"description":"Webapp","group":"webapp"}}},'
    '"daemonArgs":["-D"],"description":"Simple web application",'
    '"environment":{"PID_FILE":"/tmp/webapp.pid","PORT":5000},"instanceName":"webapp",'
    '"overrides":{"sysvinit":{"runlevels":[3,4,5]}},"process":"/nix/store/aaaa-webapp/bin/webapp","user":"webapp"}'
)


# JSON ------------------------------------------------------------------------


def test_webapp_round_trip_is_byte_identical() -> None:
    params = ProcessParams.parse_json(WEBAPP_JSON)
    assert params.render_json() == WEBAPP_JSON
    assert params.environment["PORT"] == 5000
    assert params.credentials.users["webapp"].group == "webapp"


def test_absent_arguments_stay_absent_and_explicit_null_stays_null() -> None:
    assert ProcessParams(name="x").render_json() == '{"name":"x"}'
    assert ProcessParams(name="x", pid_file=None, daemon=None).render_json() == '{"daemon":null,"name":"x","pidFile":null}'
    assert ProcessParams().render_json() == "{}"


def test_empty_values_that_were_passed_are_kept() -> None:
    text = '{"args":[],"credentials":{},"environment":{},"initialize":"","instanceName":"a","postInstall":""}'
    assert ProcessParams.parse_json(text).render_json() == text


def test_credentials_keep_only_given_sections_and_unknown_attributes() -> None:
    text = '{"credentials":{"users":{"u":{"createHomeDir":true,"extraGroups":["a"],"homeDir":"/h","uid":1000}}},"name":"u"}'
    params = ProcessParams.parse_json(text)
    assert params.render_json() == text
    assert params.credentials.users["u"].create_home_dir is True


def test_keys_sorted_by_bytes_and_values_typed_as_given() -> None:
    params = ProcessParams.from_data(
        {
            "name": "n",
            "args": ["-p", 8080, 1.5, True, None],
            "environment": {"b": "1", "B": 2, "_x": False, "é": "ü"},
            "nice": "10",
            "umask": "022",
        }
    )
    assert params.render_json() == (
        '{"args":["-p",8080,1.5,true,null],"environment":{"B":2,"_x":false,"b":"1","é":"ü"},'
        '"name":"n","nice":"10","umask":"022"}'
    )


def test_strings_escaped_as_nix_does() -> None:
    params = ProcessParams(name="n", initialize='echo "$a"\n\tx\\y\x01\x7f')
    assert params.render_json() == '{"initialize":"echo \\"$a\\"\\n\\tx\\\\y\\u0001\x7f","name":"n"}'


def test_overrides_are_verbatim_but_a_function_cannot_be_json() -> None:
    overrides = {"systemd": {"Service": {"Restart": "always"}}, "docker": {"image": {"tag": None}}}
    assert ProcessParams(name="n", overrides=overrides).render_json() == (
        '{"name":"n","overrides":{"docker":{"image":{"tag":null}},"systemd":{"Service":{"Restart":"always"}}}}'
    )
    with pytest.raises(EvalError, match="cannot convert a function to JSON"):
        ProcessParams(name="n", overrides={"sysvinit": lambda args: args}).render_json()


@pytest.mark.parametrize(
    "data, culprit",
    [
        ({"name": "n", "bogus": 1}, "bogus"),
        ({"name": 3}, "name"),
        ({"path": "/nix/store/x"}, "path"),
        ({"credentials": {"users": {"u": {"uid": True}}}}, "credentials.users.u.uid"),
        ({"credentials": {"people": {}}}, "credentials.people"),
    ],
)
def test_invalid_config_names_the_culprit(data: dict, culprit: str) -> None:
    with pytest.raises(EvalError, match=f"invalid agnostic process config: {culprit}"):
        ProcessParams.from_data(data)


def test_malformed_json_is_an_eval_error() -> None:
    with pytest.raises(EvalError, match="invalid agnostic process config"):
        ProcessParams.parse_json("{")
    with pytest.raises(EvalError, match="expected an attribute set"):
        ProcessParams.parse_json("[]")


def test_config_file_name_prefers_passed_name_over_instance_name() -> None:
    assert ProcessParams(name="a", instance_name="b").config_file_name == "a.json"
    assert ProcessParams(instance_name="b").config_file_name == "b.json"
    with pytest.raises(ThrownError, match=NO_NAME_MESSAGE):
        ProcessParams().config_file_name


def test_nix_helpers() -> None:
    assert attr_names(["b", "B", "a", "é", "z"]) == ["B", "a", "b", "z", "é"]
    assert to_json({"f": 1e6, "g": 0.1, "h": 5.0}) == '{"f":1e+06,"g":0.1,"h":5}'
    assert [to_string(v) for v in (True, False, None, 3, 1.5, "s", ["a", 1, None])] == [
        "1", "", "", "3", "1.500000", "s", "a 1 ",
    ]


# resolve (§2.1, §2.2) ----------------------------------------------------------


def test_defaults_from_process_and_args() -> None:
    process = resolve(
        ProcessParams(
            instance_name="webapp",
            process="/bin/webapp",
            args=["-a"],
            daemon_extra_args=["-D"],
            foreground_process_extra_args=["-f"],
        )
    )
    assert process.name == "webapp"
    assert process.description == "webapp"
    assert process.daemon == process.foreground_process == "/bin/webapp"
    assert process.daemon_args == ["-a", "-D"]
    assert process.foreground_process_args == ["-a", "-f"]
    assert process.initialize == process.post_install == ""
    assert (process.pid_file, process.directory, process.umask, process.nice, process.user) == (None,) * 5
    assert process.path == [] and process.environment == {} and process.dependencies == []
    assert process.credentials == Credentials() and process.overrides == {}


def test_explicit_values_win_over_defaults() -> None:
    process = resolve(
        ProcessParams(
            name="n",
            instance_name="i",
            description="D",
            process="/bin/p",
            args=["-a"],
            daemon="/bin/d",
            daemon_args=["-x"],
            daemon_extra_args=["-ignored"],
            foreground_process_args=[],
        )
    )
    assert (process.name, process.description) == ("n", "D")
    assert (process.daemon, process.daemon_args) == ("/bin/d", ["-x"])
    assert (process.foreground_process, process.foreground_process_args) == ("/bin/p", [])


def test_description_defaults_to_the_resolved_name() -> None:
    assert resolve(ProcessParams(name="n", instance_name="i")).description == "n"


def test_explicit_null_is_not_replaced_by_a_default() -> None:
    process = resolve(ProcessParams(name="n", process="/bin/p", daemon=None, description=None))
    assert process.daemon is None
    assert process.foreground_process == "/bin/p"
    assert process.description is None


def test_only_one_mode_given() -> None:
    process = resolve(ProcessParams(name="n", foreground_process="/bin/f", foreground_process_args=["-f"]))
    assert process.daemon is None and process.daemon_args == []
    assert process.foreground_process == "/bin/f"


def test_no_name_is_an_error() -> None:
    with pytest.raises(ThrownError, match=NO_NAME_MESSAGE):
        resolve(ProcessParams(process="/bin/p"))
    # An explicit null name is not defaulted to instanceName.
    with pytest.raises(ThrownError, match=NO_NAME_MESSAGE):
        resolve(ProcessParams(name=None, instance_name="i"))


def test_overrides_narrowed_to_the_process_manager() -> None:
    params = ProcessParams(name="n", overrides={"sysvinit": {"runlevels": [3, 4, 5]}})
    assert resolve(params, "sysvinit").overrides == {"runlevels": [3, 4, 5]}
    assert resolve(params, "systemd").overrides == {}
    assert resolve(params).overrides == {"sysvinit": {"runlevels": [3, 4, 5]}}
    hook = lambda args: args  # noqa: E731
    assert resolve(ProcessParams(name="n", overrides={"s6-rc": hook}), "s6-rc").overrides is hook


def test_unknown_process_manager() -> None:
    with pytest.raises(ThrownError, match="Unknown process manager: runit"):
        resolve(ProcessParams(name="n"), "runit")
    # The name check comes first, as upstream.
    with pytest.raises(ThrownError, match=NO_NAME_MESSAGE):
        resolve(ProcessParams(), "runit")
