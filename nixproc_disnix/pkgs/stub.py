"""``--pkgs stub``: placeholder packages, so a model converts or dry-runs on a host with none of its programs.

Nothing is looked up or built: ``pkgs.nginx`` is a derivation-like value
whose store path depends only on the attribute path (and the store
directory), so output mentioning it is the same on every host.
"""
from __future__ import annotations

from typing import Any

from nixproc_disnix.pkgs.package_set import TableResolver, derivation_like
from nixproc_disnix.model.host_packages import HostPackage
from nixproc_disnix.store.hashing import hash_bytes
from nixproc_disnix.store.paths import DRV_EXTENSION, make_store_path


class StubResolver(TableResolver):
    kind = "stub"

    def resolve(self, attr_path: str, package: HostPackage) -> Any:
        name = attr_path.rpartition(".")[2]
        digest = hash_bytes("sha256", f"nixproc-stub:{attr_path}").digest
        out = make_store_path("stub:out", digest, name, self.ev.store_dir)
        drv = make_store_path("stub:drv", digest, name + DRV_EXTENSION, self.ev.store_dir)
        return derivation_like(name, self.ev.system, drv, {"out": out})
