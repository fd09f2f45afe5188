"""Warnings about assigned ports something else listens on."""
from __future__ import annotations

import socket
from pathlib import Path

from nixproc_disnix.deploy.ports import taken_assigned_ports


def test_a_taken_port_of_a_new_instance_is_reported(tmp_path: Path) -> None:
    model = tmp_path / "processes.nix"
    model.write_text("{ processManager }: {}\n")
    assert taken_assigned_ports(str(model)) == []
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        (tmp_path / "ids.nix").write_text(
            f"{{ ids = {{ webappPorts = {{ web = {port}; }}; uids = {{ web = {port}; }}; }}; }}\n"
        )
        assert taken_assigned_ports(str(model)) == [
            f"warning: port {port} (webappPorts) of 'web' is already in use by a process "
            "that is not part of this deployment"
        ]
        assert taken_assigned_ports(str(model), ours={"web"}) == []
    assert taken_assigned_ports(str(model)) == []


def test_nixproc_build_warns(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from nixproc_disnix.cli.build import nixproc_build

    model = tmp_path / "processes.nix"
    model.write_text("{ processManager }: {}\n")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        (tmp_path / "ids.nix").write_text(f"{{ ids = {{ webappPorts = {{ web = {port}; }}; }}; }}\n")
        result = CliRunner().invoke(nixproc_build, ["-P", "sysvinit", "--store-dir", str(tmp_path / "root/store"),
                                                    "--no-out-link", "--quiet", str(model)])
    assert result.exit_code == 0, result.output
    assert f"warning: port {port} (webappPorts) of 'web' is already in use" in result.stderr
