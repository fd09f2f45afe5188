"""The image's account files: declared accounts, then each profile's dysnomia-support ones, as the tools make them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from nixproc_disnix.errors import BuildError
from nixproc_disnix.image.accounts import AccountsSpec, image_accounts
from nixproc_disnix.model.dysnomia_support import AccountFile


def account(name: str, **attributes: str) -> AccountFile:
    return AccountFile(name=name, attributes=attributes)


def profile_with(tmp_path: Path, groups: dict[str, str], users: dict[str, str]) -> str:
    root = tmp_path / "profile"
    for kind, files in (("groups", groups), ("users", users)):
        (root / "dysnomia-support" / kind).mkdir(parents=True)
        for name, content in files.items():
            (root / "dysnomia-support" / kind / name).write_text(content)
    return str(root)


BASE = AccountsSpec(
    groups=[account("root", gid="0"), account("nogroup", gid="999")],
    users=[account("root", uid="0", group="root", homeDir="/root", shell="/bin/bash"),
           account("nobody", uid="999", group="nogroup", homeDir="/dev/null")],
)


def test_declared_accounts_then_the_profiles_with_ids_allocated_as_the_tools_do(tmp_path: Path) -> None:
    profile = profile_with(
        tmp_path,
        groups={"web": "gid=2001\n", "auto": "\n"},
        users={"web": "uid=2001\ngroup=web\ndescription='Web server'\n", "plain": "\n",
               "homeonly": "homeDir=/home/x\ncreateHomeDir=1\ncreateHomeDirOnly=1\n"},
    )
    files = image_accounts(BASE.model_copy(update={"profiles": [profile]}))
    assert files["etc/group"] == "root:x:0:\nnogroup:x:999:\nauto:x:1000:\nweb:x:2001:\n"
    assert files["etc/passwd"] == (
        "root:x:0:0::/root:/bin/bash\n"
        "nobody:x:999:999::/dev/null:\n"
        "plain:x:1000:100::/dev/null:\n"
        "web:x:2001:2001:Web server:/dev/null:\n"
    )
    assert files["etc/shadow"].splitlines()[0] == "root:!:::::::"
    assert files["etc/gshadow"].splitlines()[-1] == "web:!::"


def test_existing_accounts_are_kept_and_the_spec_is_json(tmp_path: Path) -> None:
    spec = AccountsSpec.model_validate(json.loads(json.dumps({
        "groups": [{"name": "root", "attributes": {"gid": "0"}}, {"name": "root", "attributes": {"gid": "5"}}],
        "users": [], "profiles": [],
    })))
    assert image_accounts(spec)["etc/group"] == "root:x:0:\n"


@pytest.mark.parametrize(("spec", "message"), [
    (AccountsSpec(users=[account("web", group="missing")]), "group 'missing' does not exist"),
    (AccountsSpec(groups=[account("a", gid="5"), account("b", gid="5")]), "gid 5 is taken"),
    (AccountsSpec(users=[account("web", uid="x1")]), "uid 'x1' is not a number"),
    (AccountsSpec(users=[account("web", description="a:b")]), "':' or a newline"),
])
def test_accounts_the_tools_would_refuse(spec: AccountsSpec, message: str) -> None:
    with pytest.raises(BuildError, match=message):
        image_accounts(spec)
