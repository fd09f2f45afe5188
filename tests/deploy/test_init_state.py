"""nixproc-init-state: where each state directory goes (SPEC §5.3), and creating them."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from click.testing import CliRunner

from nixproc_disnix.cli.init_state import nixproc_init_state
from nixproc_disnix.deploy.state import init_state, state_layout
from nixproc_disnix.model.state_dirs import StateDirs


def test_system_layout() -> None:
    layout = state_layout(StateDirs())
    assert (layout.state_dir, layout.tmp_dir, layout.runtime_dir) == ("/var", "/tmp", "/run")
    assert layout.links == (("/var/tmp", "/tmp"), ("/var/run", "/run"))
    assert layout.others == ("/var/log", "/var/cache", "/var/spool", "/var/lock", "/var/lib")


def test_own_state_dir_and_given_directories() -> None:
    layout = state_layout(StateDirs(state_dir="/s", log_dir="/logs", force_disable_user_change=True))
    assert (layout.tmp_dir, layout.runtime_dir, layout.links) == ("/s/tmp", "/s/run", ())
    assert layout.others[0] == "/logs" and not layout.public_tmp


def test_creates_what_is_missing(tmp_path: Path) -> None:
    state = tmp_path / "state"
    created = init_state(StateDirs(state_dir=str(state), lib_dir=str(tmp_path / "lib")))
    assert created == [str(state), str(state / "tmp"), str(state / "run"), *(str(state / d) for d in
                       ("log", "cache", "spool", "lock")), str(tmp_path / "lib")]
    assert stat.S_IMODE(os.stat(state / "tmp").st_mode) == 0o1777
    assert init_state(StateDirs(state_dir=str(state), lib_dir=str(tmp_path / "lib"))) == []


def test_tmp_dir_of_a_single_user_is_private(tmp_path: Path) -> None:
    init_state(StateDirs(state_dir=str(tmp_path / "s"), force_disable_user_change=True))
    assert stat.S_IMODE(os.stat(tmp_path / "s/tmp").st_mode) != 0o1777


def test_tmp_link_when_tmp_is_shared(tmp_path: Path) -> None:
    init_state(StateDirs(state_dir=str(tmp_path), tmp_dir="/tmp"))
    assert os.readlink(tmp_path / "tmp") == "/tmp"


def test_cli(tmp_path: Path) -> None:
    result = CliRunner().invoke(nixproc_init_state, ["--state-dir", str(tmp_path / "v")])
    assert result.exit_code == 0 and f"created {tmp_path / 'v' / 'log'}" in result.stderr
    failed = CliRunner().invoke(nixproc_init_state, ["--state-dir", "/proc/nope"])
    assert failed.exit_code == 1 and failed.stderr.startswith("error: cannot create state directory '/proc/nope'")
