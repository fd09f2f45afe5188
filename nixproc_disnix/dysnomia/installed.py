"""Our modules where Dysnomia and Disnix look for modules: a ``libexec/dysnomia`` folder (SPEC §6.1).

Dysnomia runs a module as ``<modules dir>/<type> ACTIVITY COMPONENT
CONTAINER``. Ours is one program, ``nixproc-dysnomia-module``, that takes
its type from the name it is called by, so the folder is a store path of
links named after our types, all pointing at that program. The framework
exposes the same store path as a package, so a service container's package
can link the module it needs (SPEC §4.5); ``DYSNOMIA_MODULES_PATH`` set to
it lets a real Dysnomia use our modules.
"""
from __future__ import annotations

import os
import sysconfig

from nixproc_disnix.backends.common.backend import Generated
from nixproc_disnix.backends.common.output import Symlink
from nixproc_disnix.compiler.eval.evaluator import default_system
from nixproc_disnix.dysnomia.modules import MODULE_TYPES
from nixproc_disnix.store.builder import build
from nixproc_disnix.store.instantiate import instantiate_derivation
from nixproc_disnix.store.modulo import DrvHashes
from nixproc_disnix.store.roots import make_out_link
from nixproc_disnix.store.store import Store

MODULE_PROGRAM = os.path.join(sysconfig.get_path("scripts"), "nixproc-dysnomia-module")
"""Where this installation's ``nixproc-dysnomia-module`` console script lives."""

MODULES_DIR = "libexec/dysnomia"


def modules_output() -> Generated:
    """The package of our modules: ``libexec/dysnomia/<type>`` → :data:`MODULE_PROGRAM` for every type."""
    return Generated(
        name="nixproc-dysnomia-modules",
        files={f"{MODULES_DIR}/{module_type}": Symlink(MODULE_PROGRAM) for module_type in MODULE_TYPES},
    )


def realise_modules(store: Store) -> str:
    """Build the package of our modules into ``store``; its output path, kept by the root ``<store root>/dysnomia-modules``.

    The root is what makes the folder safe to name in ``DYSNOMIA_MODULES_PATH``.
    """
    request = modules_output().derivation_request(default_system())
    drv_path = store.add_derivation(instantiate_derivation(request, DrvHashes(store.store_dir)))
    out = build(store, drv_path)["out"]
    make_out_link(store, os.path.join(store.root, "dysnomia-modules"), out)
    return out
