"""The state directories of an image: nixproc-init-state's layout, made below the image root."""
from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from nixproc_disnix.image.init_state import init_state_script
from nixproc_disnix.model.state_dirs import StateDirs


def run_in(root: Path, dirs: StateDirs) -> None:
    subprocess.run(["bash", "-e", "-c", init_state_script(dirs)], cwd=root, check=True)


def test_the_default_layout_below_the_root(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "var").mkdir()
    (tmp_path / "var/run").symlink_to("../run")
    run_in(tmp_path, StateDirs(state_dir="/var", runtime_dir="/var/run"))
    assert stat.S_IMODE(os.stat(tmp_path / "tmp").st_mode) == 0o1777
    assert os.readlink(tmp_path / "var/tmp") == "/tmp"
    assert all((tmp_path / "var" / name).is_dir() for name in ("log", "cache", "spool", "lock", "lib"))
    assert os.readlink(tmp_path / "var/run") == "../run", "what the image made stays"


def test_another_state_dir_holds_everything_and_user_changes_disabled_keep_tmp_private(tmp_path: Path) -> None:
    run_in(tmp_path, StateDirs(state_dir="/srv/state", force_disable_user_change=True))
    assert (tmp_path / "srv/state/run").is_dir() and (tmp_path / "srv/state/log").is_dir()
    assert stat.S_IMODE(os.stat(tmp_path / "srv/state/tmp").st_mode) != 0o1777
    assert not (tmp_path / "tmp").exists()


def test_paths_are_quoted(tmp_path: Path) -> None:
    script = init_state_script(StateDirs(state_dir="/var/a b; touch pwned"))
    run_in(tmp_path, StateDirs(state_dir="/var/a b; touch pwned"))
    assert (tmp_path / "var/a b; touch pwned/log").is_dir() and not (tmp_path / "pwned").exists()
    assert "'var/a b; touch pwned'" in script
