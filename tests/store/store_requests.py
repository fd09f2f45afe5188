"""Derivation attribute sets as both a Nix expression and the request the evaluator would build."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from hypothesis import strategies as st

from nixproc_disnix.store.instantiate import DerivationRequest, check_output_names, parse_output_hash_mode

Attrs = dict[str, str | list[str]]

SPECIAL = {"args", "outputs", "name", "system", "builder", "outputHash", "outputHashAlgo", "outputHashMode"}
NAME_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+-._?="

nix_chars = st.characters(codec="utf-8", exclude_characters="\x00")
"""Characters a Nix string can hold: any but NUL."""
nix_texts = st.text(nix_chars, max_size=60)
drv_names = st.text(NAME_CHARS, min_size=1, max_size=80).filter(lambda n: not n.endswith(".drv"))
output_names = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(lambda n: n != "drv")
env_keys = nix_texts.filter(lambda k: not k.startswith("__") and k not in SPECIAL)


@st.composite
def derivation_attrs(draw: st.DrawFn) -> Attrs:
    """An input-addressed derivation with random name, platform, builder, args, env and outputs."""
    attrs: Attrs = {
        "name": draw(drv_names),
        # The platform is written unescaped: a quote or backslash makes Nix unable to read its .drv back.
        "system": draw(nix_texts.filter(lambda s: s and '"' not in s and "\\" not in s)),
        "builder": draw(nix_texts.filter(bool)),
        "args": draw(st.lists(nix_texts, max_size=4)),
    }
    outputs = draw(st.lists(output_names, max_size=3, unique=True))
    if outputs:
        attrs["outputs"] = outputs
    for key, value in draw(st.dictionaries(env_keys, nix_texts, max_size=5)).items():
        attrs.setdefault(key, value)
    return attrs


def request_from_attrs(
    attrs: Attrs, input_drvs: Mapping[str, Iterable[str]] | None = None, input_srcs: Iterable[str] = ()
) -> DerivationRequest:
    """What derivationStrict collects from ``attrs``: lists coerce to space-joined strings."""
    env = {k: " ".join(v) if isinstance(v, list) else v for k, v in attrs.items() if k != "args"}
    args = attrs.get("args", [])
    assert isinstance(args, list)
    mode = env.get("outputHashMode")
    return DerivationRequest(
        name=env["name"],
        system=env.get("system", ""),
        builder=env.get("builder", ""),
        env=env,
        args=args,
        outputs=check_output_names(env["outputs"].split()) if "outputs" in env else ("out",),
        input_drvs=input_drvs or {},
        input_srcs=input_srcs,
        output_hash=env.get("outputHash"),
        output_hash_algo=env.get("outputHashAlgo", ""),
        output_hash_mode=parse_output_hash_mode(mode) if mode is not None else None,
    )
