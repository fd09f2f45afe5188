"""The id counter of one group (SPEC §8.4): which ids are taken and where the search goes next."""
from __future__ import annotations

from nixproc_disnix.errors import IdAssignError
from nixproc_disnix.model.ids import IdResource

DEPLETED = "The amount of IDs is depleted!"


class IdPool:
    """The ids of one resource within one group (all services, or one target's services).

    Ids are unique per group only. ``used`` is built once per group and grows
    with every allocation; the search resumes after ``last``, so ids freed by
    removed services are reused only after the counter wraps (no gap filling),
    and the walks of one group add up to O(used + allocations).
    """

    __slots__ = ("resource_name", "resource", "used", "last", "target")

    def __init__(
        self,
        resource_name: str,
        resource: IdResource,
        used: set[int],
        last: int | None,
        target: str | None = None,
    ) -> None:
        self.resource_name = resource_name
        self.resource = resource
        self.used = used
        self.last = last
        self.target = target

    def next_id(self, current: int) -> int:
        """next(x): ``x + step``, wrapping to ``min`` (not min + remainder) past ``max``.

        ⚠ upstream: a stale last assignment below a raised ``min`` gives an
        out-of-range id there; we clamp to ``min``.
        """
        candidate = current + self.resource.step
        if candidate > self.resource.max or candidate < self.resource.min:
            return self.resource.min
        return candidate

    def allocate(self, service: str) -> int:
        """Hand ``service`` the first free id after the last assignment and record it.

        ⚠ upstream: with step > 1 the pool can be exhausted while ``len(used)``
        is below the range size, and upstream then loops forever. Every
        candidate lies in ``[min, max]`` and only a wrap lands on ``min``, so
        reaching ``min`` a second time means the whole step grid is taken.
        """
        resource = self.resource
        if len(self.used) >= resource.size:
            raise self._depleted(service)
        candidate = resource.min if self.last is None else self.next_id(self.last)
        seen_min = candidate == resource.min
        while candidate in self.used:
            candidate = self.next_id(candidate)
            if candidate == resource.min:
                if seen_min:
                    raise self._depleted(service)
                seen_min = True
        self.used.add(candidate)
        self.last = candidate
        return candidate

    def _depleted(self, service: str) -> IdAssignError:
        where = f"resource '{self.resource_name}', service '{service}'"
        if self.target is not None:
            where += f", target '{self.target}'"
        return IdAssignError(f"{DEPLETED} ({where})")
