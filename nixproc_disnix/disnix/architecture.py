"""Evaluate and build a Disnix deployment: the services, infrastructure and distribution models (SPEC §7).

The three models are evaluated together by ``architecture.nix`` (with our
evaluator, ``pkgs`` from the chosen resolver, ``--extra-params`` for the
functions that declare them), into an :class:`Architecture`; then every
distributed service's package is built into our store.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from nixproc_disnix.compiler.eval.evaluator import default_system
from nixproc_disnix.compiler.eval.values import Attrs, NixPath
from nixproc_disnix.deploy.build import BuildRequest, make_evaluator
from nixproc_disnix.errors import BuildError, EvalError
from nixproc_disnix.idassign.models import eval_extra_params, text
from nixproc_disnix.model.disnix import Architecture
from nixproc_disnix.pkgs import DEFAULT_RESOLVER, pkgs_value
from nixproc_disnix.store.builder import build
from nixproc_disnix.store.store import Store

ARCHITECTURE_NIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "architecture.nix")


@dataclass(frozen=True)
class DisnixModels:
    """``disnix-env -s SERVICES -i INFRASTRUCTURE -d DISTRIBUTION [--extra-params EXPR]``, and where packages come from."""

    services: str
    infrastructure: str
    distribution: str
    extra_params: str | None = None
    pkgs: str = DEFAULT_RESOLVER
    include: tuple[str, ...] = ()


def evaluate_architecture(store: Store, models: DisnixModels) -> Architecture:
    """The deployment the models describe; derivations are written to ``store``, nothing is built yet."""
    for what, path in (("services", models.services), ("infrastructure", models.infrastructure),
                       ("distribution", models.distribution)):
        if not os.path.exists(path):
            raise EvalError(f"{what} model '{path}' does not exist")
    ev = make_evaluator(store, BuildRequest(None, models.services, pkgs=models.pkgs, include=models.include))
    architecture = ev.call(ev.eval_file(ARCHITECTURE_NIX), Attrs({
        "servicesFile": NixPath(os.path.abspath(models.services)),
        "infrastructureFile": NixPath(os.path.abspath(models.infrastructure)),
        "distributionFile": NixPath(os.path.abspath(models.distribution)),
        "pkgs": pkgs_value(ev),
        "system": default_system(),
        "extraParams": eval_extra_params(ev, models.extra_params),
    }))
    return Architecture.parse(text(ev.force(architecture)))


def build_packages(store: Store, architecture: Architecture) -> None:
    """Build the package of every service that is distributed somewhere."""
    for service in architecture.services.values():
        for drv_path in service.derivations:
            build(store, drv_path)
        if service.pkg is not None and not os.path.exists(service.pkg):
            raise BuildError(f"the package of service '{service.name}', {service.pkg}, does not exist")
