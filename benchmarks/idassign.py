"""id-assign throughput on large models; prints ``name: ours X s, peak Y MiB`` per case.

Run from the repository root: ``PYTHONPATH=. python benchmarks/idassign.py``.
Times are the best of a few runs of ``assign_ids`` (inputs prepared
beforehand); peak memory is measured in a separate run under tracemalloc,
which would otherwise slow the timed runs down.
"""
from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from nixproc_disnix.idassign import assign_ids
from nixproc_disnix.model.ids import DistributionTable, IdRequirements, IdResources, Ids

REPEATS = 3


def measure(name: str, work: Callable[[], Any]) -> Any:
    seconds = float("inf")
    result = None
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = work()
        seconds = min(seconds, time.perf_counter() - start)
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{name}: ours {seconds:.3f} s, peak {peak / 2**20:.1f} MiB", flush=True)
    return result


def global_cases() -> None:
    count = 100_000
    resources = IdResources.from_data(
        {"uids": {"min": 2000, "max": 2000 + 2 * count}, "gids": {"min": 2000, "max": 2000 + 2 * count}}
    )
    services = {f"service{i:06d}": frozenset({"uids", "gids"}) for i in range(count)}
    first = measure(
        "global-100k-first", lambda: assign_ids(IdRequirements.model_construct(services=services), resources)
    )

    changed = dict(services)
    for i in range(0, count, 100):  # 1%: drop every hundredth service, add as many new ones
        del changed[f"service{i:06d}"]
        changed[f"added{i:06d}"] = frozenset({"uids", "gids"})
    requirements = IdRequirements.model_construct(services=changed)
    measure("global-100k-incremental-1pct", lambda: assign_ids(requirements, resources, first))
    measure("render-nix-100k", first.render_nix)
    measure("render-xml-100k", first.render_xml)

    # What a CLI run adds: the evaluated models as plain data, validated.
    plain_services = {name: {"name": name, "requiresUniqueIdsFor": ["uids", "gids"]} for name in services}
    plain_ids = first.model_dump(by_alias=True)
    measure("load-100k-services-and-ids", lambda: (IdRequirements.from_services(plain_services), Ids.from_data(plain_ids)))


def machine_cases() -> None:
    count, targets = 10_000, 100
    resources = IdResources.from_data(
        {"ports": {"min": 8000, "max": 8999, "scope": "machine"}, "uids": {"min": 2000, "max": 2000 + 2 * count}}
    )
    services = {f"service{i:05d}": frozenset({"ports", "uids"}) for i in range(count)}
    placement = {name: (f"target{i % targets:03d}",) for i, name in enumerate(services)}
    first = measure(
        "machine-10k-100-targets-first",
        lambda: assign_ids(
            IdRequirements.model_construct(services=services),
            resources,
            distribution=DistributionTable.model_construct(targets=placement),
        ),
    )

    changed, moved = dict(services), dict(placement)
    for i in range(0, count, 100):
        del changed[f"service{i:05d}"], moved[f"service{i:05d}"]
        changed[f"added{i:05d}"] = frozenset({"ports", "uids"})
        moved[f"added{i:05d}"] = (f"target{i // 100 % targets:03d}",)
    requirements = IdRequirements.model_construct(services=changed)
    distribution = DistributionTable.model_construct(targets=moved)
    measure(
        "machine-10k-100-targets-incremental-1pct",
        lambda: assign_ids(requirements, resources, first, distribution),
    )


def main() -> None:
    global_cases()
    machine_cases()


if __name__ == "__main__":
    main()
