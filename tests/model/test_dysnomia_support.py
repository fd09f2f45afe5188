"""Account files are read as data: what the generators write reads back exactly, and nothing runs."""
from __future__ import annotations

from pathlib import Path

import pytest

from nixproc_disnix.backends.common.credentials import dysnomia_support_files
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.credentials import Credentials
from nixproc_disnix.model.dysnomia_support import parse_account_file, read_account_files
from nixproc_disnix.model.ids import Ids

HOSTILE = "it's \"q\" $(touch pwned) `touch pwned` ${HOME}\nline two\t* ;&| #not a comment \\"


def test_generated_files_read_back(tmp_path: Path) -> None:
    credentials = Credentials.model_validate({
        "groups": {"web": {}},
        "users": {"web": {"group": "web", "description": HOSTILE, "createHomeDir": False, "homeDir": "/srv/a b"}},
    })
    ids = Ids.model_validate({"ids": {"uids": {"web": 2001}, "gids": {"web": 2002}}})
    files = dysnomia_support_files(credentials, ids)
    user = parse_account_file("web", files["users/web"])
    assert user.attributes == {
        "uid": "2001", "createHomeDir": "", "description": HOSTILE, "group": "web", "homeDir": "/srv/a b",
    }
    assert user.get("createHomeDir") is None and not user.flag("createHomeDir") and not user.home_dir_only
    assert parse_account_file("web", files["groups/web"]).attributes == {"gid": "2002"}
    assert not list(tmp_path.rglob("pwned")) and not Path("pwned").exists()


def test_home_directory_only_files() -> None:
    credentials = Credentials.model_validate({"users": {"u": {"homeDir": "/h#1", "createHomeDir": True}}})
    files = dysnomia_support_files(credentials, None, force_disable_user_change=True)
    user = parse_account_file("u", files["users/u"])
    assert user.home_dir_only and user.flag("createHomeDir") and user.get("homeDir") == "/h#1"


@pytest.mark.parametrize("text", ["rm -rf /\n", "gid=1 junk\n", "'unterminated\n", "a-b=1\n"])
def test_anything_but_assignments_is_refused(text: str) -> None:
    with pytest.raises(DeployError, match="cannot read account file 'F'"):
        parse_account_file("x", text, "F")


def test_read_account_files(tmp_path: Path) -> None:
    assert read_account_files(str(tmp_path / "missing")) == {}
    (tmp_path / "b").write_text("gid=2\n\n")
    (tmp_path / "a").write_text("\n")
    accounts = read_account_files(str(tmp_path))
    assert list(accounts) == ["a", "b"] and accounts["b"].get("gid") == "2" and accounts["a"].attributes == {}
