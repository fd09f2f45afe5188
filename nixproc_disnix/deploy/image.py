"""``nixproc build-image``: evaluate an image expression and build its docker-archive, as ``nix-build`` would.

An image expression calls ``createMultiProcessImage`` (or
``createMutableMultiProcessImage``, or ``dockerTools.buildImage``) of the
framework ``<nix-processmgmt>`` resolves to; a function is called with the
``--arg``/``--argstr`` values, ``-A`` selects an attribute on the way.
A processes model with the image's options (:class:`ModelImage`) becomes
such a request for the framework's ``create-image-from-model.nix``, so
both forms take one path through evaluation and building.
Evaluation and building use our store and the chosen ``pkgs`` resolver,
as ``nixproc-build`` does.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from nixproc_disnix.compiler.eval.instantiate import EvalRequest, auto_args, auto_call, select_attr_path
from nixproc_disnix.compiler.eval.values import Attrs
from nixproc_disnix.deploy.build import BuildRequest, make_evaluator
from nixproc_disnix.errors import EvalError
from nixproc_disnix.framework import FRAMEWORK_DIR
from nixproc_disnix.idassign.models import text
from nixproc_disnix.pkgs import DEFAULT_RESOLVER
from nixproc_disnix.store.builder import build
from nixproc_disnix.store.store import Store


@dataclass(frozen=True)
class ImageRequest:
    """What ``nixproc build-image`` was asked: an expression file, an attribute path and the function's arguments."""

    expression: str
    attr_path: str = ""
    args: dict[str, str] = field(default_factory=dict)
    """``--arg NAME EXPR``."""
    argstrs: dict[str, str] = field(default_factory=dict)
    """``--argstr NAME VALUE``."""
    pkgs: str = DEFAULT_RESOLVER
    include: tuple[str, ...] = ()


IMAGE_FROM_MODEL = os.path.join(FRAMEWORK_DIR, "nixproc/create-image-from-steps/create-image-from-model.nix")


@dataclass(frozen=True)
class ModelImage:
    """An image of a processes model, as ``nixproc-build-image --process-manager PM MODEL`` describes it
    (createMultiProcessImage's parameters, SPEC §9.2)."""

    model: str
    process_manager: str
    name: str = "multiprocess"
    tag: str = "latest"
    mutable: bool = False
    interactive: bool = True
    manpages: bool = False
    force_disable_user_change: bool = False
    state_dir: str | None = None
    runtime_dir: str | None = None
    extra_params: str | None = None
    """A Nix expression, as the switches' ``--extra-params``."""
    id_resources: str | None = None
    ids: str | None = None

    def request(self, pkgs: str = DEFAULT_RESOLVER, include: tuple[str, ...] = ()) -> ImageRequest:
        """The request for the framework's image-from-model expression; files become absolute paths, passed
        as strings so that no file name needs quoting as a Nix path."""
        for what, file in (("processes model", self.model), ("id resources file", self.id_resources),
                           ("ids file", self.ids)):
            if file is not None and not os.path.isfile(file):
                raise EvalError(f"{what} '{file}' does not exist")
        flags = {"mutable": self.mutable, "interactive": self.interactive, "manpages": self.manpages,
                 "forceDisableUserChange": self.force_disable_user_change}
        args = {name: "true" if value else "false" for name, value in flags.items()}
        if self.extra_params is not None:
            args["extraParams"] = self.extra_params
        strings = {"exprFile": self.model, "idResourcesFile": self.id_resources, "idsFile": self.ids}
        argstrs = {name: os.path.abspath(file) for name, file in strings.items() if file is not None}
        argstrs.update({"processManager": self.process_manager, "name": self.name, "tag": self.tag})
        argstrs.update({name: directory for name, directory in (("stateDir", self.state_dir),
                                                                ("runtimeDir", self.runtime_dir)) if directory})
        return ImageRequest(IMAGE_FROM_MODEL, args=args, argstrs=argstrs, pkgs=pkgs, include=include)


def image_derivation(store: Store, request: ImageRequest) -> str:
    """Evaluate the image expression into ``store``; its ``.drv`` path."""
    if not os.path.exists(request.expression):
        raise EvalError(f"image expression '{request.expression}' does not exist")
    ev = make_evaluator(store, BuildRequest(None, None, pkgs=request.pkgs, include=request.include))
    args = auto_args(ev, EvalRequest(args=request.args, argstrs=request.argstrs))
    value = ev.eval_file(os.path.abspath(request.expression))
    image = auto_call(ev, select_attr_path(ev, value, request.attr_path, args), args)
    if type(image) is not Attrs or "drvPath" not in image:
        raise EvalError(f"'{request.expression}' does not evaluate to a derivation (an image)")
    return text(ev.force(image["drvPath"]))


def build_image(store: Store, request: ImageRequest) -> str:
    """Build the image; the store path of its docker-archive."""
    return build(store, image_derivation(store, request))["out"]
