"""``nixproc build-image``: evaluate an image expression and build its docker-archive, as ``nix-build`` would.

An image expression calls ``createMultiProcessImage`` (or
``createMutableMultiProcessImage``, or ``dockerTools.buildImage``) of the
framework ``<nix-processmgmt>`` resolves to; a function is called with the
``--arg``/``--argstr`` values, ``-A`` selects an attribute on the way.
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
