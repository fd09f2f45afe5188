"""``--skip-ports-in-use``: which resources are ports, reading LISTEN sockets, and new ids skipping them.

The parser runs on captured /proc text; the end-to-end tests open real
listening sockets on the loopback addresses and run both command forms.
"""
from __future__ import annotations

import random
import socket
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from nixproc_disnix.cli.idassign import dydisnix_id_assign, nixproc_id_assign
from nixproc_disnix.errors import IdAssignError
from nixproc_disnix.idassign import assign_ids
from nixproc_disnix.idassign.ports import is_port_resource, listening_ports, parse_listening_ports, ports_in_use
from nixproc_disnix.model.ids import DistributionTable, IdRequirements, IdResource, IdResources, Ids

# Captured from a machine with listeners on 127.0.0.1:5432 and 0.0.0.0:2024, and
# established connections and TIME_WAIT sockets that must not count.
PROC_NET_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1538 00000000:0000 0A 00000000:00000001 00:00000000 00000000     0        0 2278384 2 00000000496ee49f 100 0 0 10 0
   1: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1068 1 00000000b2b77745 100 0 0 10 0
   2: 0100007F:E347 0100007F:AE5A 06 00000000:00000000 03:000001FF 00000000     0        0 0 3 00000000337266ef
   3: 020200C0:83E2 507100CB:0050 06 00000000:00000000 03:0000064A 00000000     0        0 0 3 00000000852a4ac3
   5: 0100007F:1538 0100007F:8AA8 01 00000000:00000000 00:00000000 00000000     0        0 0 1 00000000a09ce12f 20 0 0 10 -1
   6: 0100007F:8AA8 0100007F:1538 01 00000000:00000000 00:00000000 00000000     0        0 2278385 2 0000000068794789 20 0 0 10 -1
"""

# Listeners on [::1]:8080 and [::]:8443, plus both ends of a connection to 8080.
PROC_NET_TCP6 = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000001 00:00000000 00000000     0        0 2278932 2 00000000bc30ffa5 100 0 0 10 0
   1: 00000000000000000000000000000000:20FB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2278933 1 000000004bdbe88b 100 0 0 10 0
   2: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:8B8A 01 00000000:00000000 00:00000000 00000000     0        0 0 1 00000000a3990a7f 20 0 0 10 -1
   3: 00000000000000000000000001000000:8B8A 00000000000000000000000001000000:1F90 01 00000000:00000000 00:00000000 00000000     0        0 2278382 2 0000000092caf7ff 20 0 0 10 -1
"""


# Parsing and reading -------------------------------------------------------------


def test_parser_keeps_only_listening_sockets_ipv4() -> None:
    assert parse_listening_ports(PROC_NET_TCP) == {5432, 2024}


def test_parser_keeps_only_listening_sockets_ipv6() -> None:
    assert parse_listening_ports(PROC_NET_TCP6) == {8080, 8443}


def test_parser_skips_header_blank_and_malformed_lines() -> None:
    text = PROC_NET_TCP.splitlines()[0] + "\n\n   9: garbage\n  10: 00000000:ZZZZ 00000000:0000 0A\n"
    assert parse_listening_ports(text) == set()
    assert parse_listening_ports("") == set()


@pytest.mark.parametrize("name", ["ports", "port", "webappPorts", "nginxPorts", "inetHTTPPorts", "httpPort"])
def test_port_resources(name: str) -> None:
    assert is_port_resource(name)


@pytest.mark.parametrize("name", ["uids", "gids", "portNumbers", "transport", "deportees"])
def test_other_resources(name: str) -> None:
    assert not is_port_resource(name)


def test_ports_in_use_covers_only_port_resources() -> None:
    resources = IdResources.from_data({"webappPorts": {}, "uids": {}, "port": {}})
    assert ports_in_use(resources, {80}) == {"webappPorts": {80}, "port": {80}}


def test_reader_merges_both_files_and_tolerates_a_missing_one(tmp_path: Path) -> None:
    (tmp_path / "tcp").write_text(PROC_NET_TCP)
    (tmp_path / "tcp6").write_text(PROC_NET_TCP6)
    assert listening_ports((str(tmp_path / "tcp"), str(tmp_path / "tcp6"))) == {5432, 2024, 8080, 8443}
    assert listening_ports((str(tmp_path / "tcp"), str(tmp_path / "absent"))) == {5432, 2024}


def test_reader_fails_when_nothing_can_be_read(tmp_path: Path) -> None:
    with pytest.raises(IdAssignError, match="cannot read the listening sockets"):
        listening_ports((str(tmp_path / "absent"),))


# The pure core: taken ids ------------------------------------------------------------


def needs(**services: list[str]) -> IdRequirements:
    return IdRequirements(services={name: frozenset(wanted) for name, wanted in services.items()})


PORTS = IdResources.from_data({"ports": {"min": 3000, "max": 3009}, "uids": {"min": 3000, "max": 3009}})


def test_new_assignments_skip_taken_ids_of_that_resource_only() -> None:
    result = assign_ids(needs(a=["ports", "uids"], b=["ports", "uids"]), PORTS, taken={"ports": {3000, 3002}})
    assert result.ids == {"ports": {"a": 3001, "b": 3003}, "uids": {"a": 3000, "b": 3001}}
    assert result.last_assignments == {"ports": 3003, "uids": 3001}


def test_kept_assignments_stay_even_when_taken() -> None:
    previous = Ids(ids={"ports": {"a": 3000}}, lastAssignments={"ports": 3000})
    result = assign_ids(needs(a=["ports"], b=["ports"]), PORTS, previous, taken={"ports": {3000, 3001}})
    assert result.ids["ports"] == {"a": 3000, "b": 3002}


def test_taken_ids_outside_the_range_do_not_deplete_the_pool() -> None:
    small = IdResources.from_data({"ports": {"min": 3000, "max": 3001}})
    result = assign_ids(needs(a=["ports"], b=["ports"]), small, taken={"ports": set(range(2000, 2999)) | {4000}})
    assert result.ids["ports"] == {"a": 3000, "b": 3001}


def test_depletion_when_every_free_id_is_taken() -> None:
    small = IdResources.from_data({"ports": {"min": 3000, "max": 3002}})
    with pytest.raises(IdAssignError, match="depleted"):
        assign_ids(needs(a=["ports"], b=["ports"]), small, taken={"ports": {3000, 3002}})


def test_taken_ids_are_kept_free_on_every_target() -> None:
    resources = IdResources.from_data({"ports": {"min": 3000, "max": 3009, "scope": "machine"}})
    distribution = DistributionTable.from_data({"a": ["t1"], "b": ["t2"]})
    result = assign_ids(needs(a=["ports"], b=["ports"]), resources, None, distribution, taken={"ports": {3000}})
    assert result.ids["ports"] == {"a": 3001, "b": 3001}


@settings(max_examples=200, deadline=None)
@given(
    low=st.integers(0, 40), width=st.integers(1, 20), step=st.integers(1, 3),
    services=st.sets(st.sampled_from([f"s{i}" for i in range(10)])),
    taken=st.sets(st.integers(-5, 70)),
)
def test_first_run_never_hands_out_a_taken_id(low: int, width: int, step: int, services: set[str],
                                              taken: set[int]) -> None:
    resource = IdResource(min=low, max=low + width - 1, step=step)
    grid = set(range(resource.min, resource.max + 1, step))
    resources = IdResources(resources={"ports": resource})
    try:
        result = assign_ids(needs(**{s: ["ports"] for s in services}), resources, taken={"ports": taken})
    except IdAssignError:
        assert len(services) > len(grid - taken)
        return
    values = list(result.ids["ports"].values())
    assert len(values) == len(services) == len(set(values))
    assert set(values) <= grid - taken


# Real listening sockets, both command forms ---------------------------------------------


def _listen(family: socket.AddressFamily, address: str, port: int) -> socket.socket:
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.bind((address, port))
        listener.listen()
    except OSError:
        listener.close()
        raise
    return listener


@pytest.fixture
def occupied() -> Iterator[int]:
    """A base port B with B..B+9 free before the test and listeners on B (IPv4) and B+1 (IPv6 if possible)."""
    rng = random.Random()
    for _ in range(50):
        base = rng.randrange(20000, 60000, 10)
        if set(range(base, base + 10)) & listening_ports():
            continue
        listeners: list[socket.socket] = []
        try:
            listeners.append(_listen(socket.AF_INET, "127.0.0.1", base))
            try:
                listeners.append(_listen(socket.AF_INET6, "::1", base + 1))
            except OSError:
                listeners.append(_listen(socket.AF_INET, "127.0.0.1", base + 1))
        except OSError:
            for listener in listeners:
                listener.close()
            continue
        try:
            yield base
        finally:
            for listener in listeners:
                listener.close()
        return
    pytest.fail("no free block of 10 ports found")


def test_reader_sees_the_tests_own_listeners(occupied: int) -> None:
    assert {occupied, occupied + 1} <= listening_ports()


def _write_models(directory: Path, base: int) -> None:
    (directory / "idresources.nix").write_text(textwrap.dedent(f"""\
        {{
          webappPorts = {{ min = {base}; max = {base + 9}; }};
          uids = {{ min = {base}; max = {base + 9}; }};
        }}
        """))
    services = """\
        {
          a = { name = "a"; requiresUniqueIdsFor = [ "webappPorts" "uids" ]; };
          b = { name = "b"; requiresUniqueIdsFor = [ "webappPorts" "uids" ]; };
          c = { name = "c"; requiresUniqueIdsFor = [ "webappPorts" ]; };
        }
        """
    (directory / "processes.nix").write_text("{ processManager ? null }:\n" + textwrap.dedent(services))
    (directory / "services.nix").write_text("{ system, pkgs, distribution, invDistribution }:\n"
                                            + textwrap.dedent(services))


@pytest.fixture
def models(tmp_path: Path, occupied: int, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NIX_PATH", "")
    monkeypatch.delenv("NIXPROC_PROCESSES", raising=False)
    _write_models(tmp_path, occupied)
    return tmp_path


def _ids(result: Result) -> Ids:
    assert result.exit_code == 0, result.output
    return Ids.parse_xml(result.output)


def _processes_form(models: Path, *options: str) -> Ids:
    return _ids(CliRunner().invoke(nixproc_id_assign, [str(models / "processes.nix"), "--output-xml", *options]))


def _services_form(models: Path, *options: str) -> Ids:
    return _ids(CliRunner().invoke(dydisnix_id_assign, [
        "-s", str(models / "services.nix"), "--id-resources", str(models / "idresources.nix"), "--output-xml",
        *options]))


@pytest.mark.parametrize("form", [_processes_form, _services_form])
def test_new_ports_skip_listening_sockets(models: Path, occupied: int, form: Callable[..., Ids]) -> None:
    base = occupied
    ids = form(models, "--skip-ports-in-use")
    assert ids.ids["webappPorts"] == {"a": base + 2, "b": base + 3, "c": base + 4}
    assert ids.ids["uids"] == {"a": base, "b": base + 1}


@pytest.mark.parametrize("form", [_processes_form, _services_form])
def test_without_the_option_ports_are_handed_out_as_before(models: Path, occupied: int,
                                                           form: Callable[..., Ids]) -> None:
    base = occupied
    assert form(models).ids["webappPorts"] == {"a": base, "b": base + 1, "c": base + 2}


def test_a_kept_port_stays_although_it_is_in_use(models: Path, occupied: int) -> None:
    base = occupied
    (models / "ids.nix").write_text(f'{{ ids = {{ webappPorts = {{ a = {base}; }}; }}; '
                                    f'lastAssignments = {{ webappPorts = {base}; }}; }}')
    ids = _processes_form(models, "--ids", str(models / "ids.nix"), "--skip-ports-in-use")
    assert ids.ids["webappPorts"] == {"a": base, "b": base + 2, "c": base + 3}
