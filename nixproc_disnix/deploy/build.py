"""``nixproc-build``: a processes model to a built deployment profile (SPEC §5.2).

As upstream, the model is built through ``nixproc/backends/<pm>/build-<pm>-env.nix``
of the framework ``<nix-processmgmt>`` resolves to (ours unless the search
path names another), given only the options the user set, so directories
nobody named take the model's own defaults. Evaluation writes derivations
into our store; the profile derivation is then built with everything it
needs, unchanged parts never again.
"""
from __future__ import annotations

import grp
import os
import pwd
from dataclasses import dataclass, field
from typing import Any

from nixproc_disnix.compiler.eval.evaluator import Evaluator, parse_search_path
from nixproc_disnix.compiler.eval.values import Attrs, NixPath
from nixproc_disnix.errors import EvalError
from nixproc_disnix.framework import install, search_path_entry
from nixproc_disnix.idassign.models import eval_extra_params, nix_string, text
from nixproc_disnix.model.process import PROCESS_MANAGERS
from nixproc_disnix.model.results import BuildResult
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.pkgs import DEFAULT_RESOLVER, attach_pkgs, pkgs_value
from nixproc_disnix.progress import Progress, StepLog
from nixproc_disnix.store.builder import build
from nixproc_disnix.store.roots import make_out_link
from nixproc_disnix.store.store import Store


@dataclass(frozen=True)
class BuildRequest:
    """What ``nixproc-build`` was asked: ``model`` None means the empty configuration (``--undeploy``).

    ``process_manager`` None is the agnostic form, which only ``nixproc convert`` takes.
    """

    process_manager: str | None
    model: str | None
    state_dirs: StateDirs = field(default_factory=StateDirs)
    extra_params: str | None = None
    pkgs: str = DEFAULT_RESOLVER
    include: tuple[str, ...] = ()


def make_evaluator(store: Store, request: BuildRequest) -> Evaluator:
    """An evaluator writing into ``store``, with ``-I``/``NIX_PATH``, our framework and the chosen ``pkgs``."""
    if request.model is not None and not os.path.exists(request.model):
        raise EvalError(f"processes model '{request.model}' does not exist")
    entries = [*request.include, *os.environ.get("NIX_PATH", "").split(":")]
    ev = Evaluator(search_path=[*parse_search_path(entries), search_path_entry()], store=store)
    install(ev)
    attach_pkgs(ev, request.pkgs)
    return ev


def model_arguments(ev: Evaluator, request: BuildRequest) -> dict[str, Any]:
    """What a builder passes on to the processes model: the given options, ``pkgs``, the caller, the model."""
    arguments: dict[str, Any] = {
        name: nix_string(value) if isinstance(value, str) else value
        for name, value in request.state_dirs.model_arguments().items()
    }
    arguments["pkgs"] = pkgs_value(ev)
    user = pwd.getpwuid(os.getuid())
    arguments["callingUser"] = nix_string(user.pw_name)
    arguments["callingGroup"] = nix_string(grp.getgrgid(user.pw_gid).gr_name)
    arguments["extraParams"] = eval_extra_params(ev, request.extra_params)
    arguments["exprFile"] = None if request.model is None else NixPath(os.path.abspath(request.model))
    return arguments


def profile_derivation(store: Store, request: BuildRequest) -> str:
    """Evaluate the model's profile into ``store``; its ``.drv`` path."""
    if request.process_manager not in PROCESS_MANAGERS:
        raise EvalError(f"Unknown process manager: {request.process_manager}")
    ev = make_evaluator(store, request)
    framework = ev.find_file("nix-processmgmt")
    manager = request.process_manager
    builder = ev.eval_file(f"{framework}/nixproc/backends/{manager}/build-{manager}-env.nix")
    profile = ev.force_attrs(ev.call(builder, Attrs(model_arguments(ev, request))))
    return text(ev.force(profile["drvPath"]))


def build_profile(store: Store, request: BuildRequest, progress: Progress | None = None) -> str:
    """Build the model's deployment profile; its store path. ``progress`` hears of each derivation built."""
    return build(store, profile_derivation(store, request), progress)["out"]


def build_profile_result(store: Store, request: BuildRequest, out_link: str | None,
                         progress: Progress | None = None) -> BuildResult:
    """:func:`build_profile`, linked from ``out_link`` (None: no link), saying which store paths it built."""
    log = StepLog(progress)
    profile = build_profile(store, request, log)
    if out_link is not None:
        make_out_link(store, out_link, profile)
    built = sorted(path for drv_path in log.finished("build") for path in store.derivation_outputs(drv_path).values())
    return BuildResult(profile=profile, out_link=None if out_link is None else os.path.abspath(out_link), built=built)
