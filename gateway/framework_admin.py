"""Audited admin changes to the framework: validate, record, announce (OSSPI administers it).

The gateway is the framework's only writer. Each operation validates against the catalog,
appends a ``FrameworkChanged`` to the insert-only audit log (``shared.framework_log``: who,
when, why) and then announces it on ``qsmo.framework.v1``. The log is the source of truth:
the scorecard and ingest services read it, so a lost announcement only delays a recompute
until their next log check. ``state()`` is the log folded (``shared.domain.framework_changes``)
and is cached until a change is recorded here or heard on the live feed.
"""

import functools
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Concatenate, ParamSpec, TypeVar

from gateway.caching import ReadThrough
from gateway.framework_announcer import FrameworkAnnouncer
from gateway.framework_rules import (
    IDENTIFIER,
    FrameworkChangeRejected,
    checked_provider,
    known,
    known_provider,
    known_qsmo,
    positive,
)
from shared.api_keys import Person
from shared.catalog import load_catalog
from shared.domain.catalog import (
    Catalog,
    Dimension,
    DimensionStatus,
    Framework,
    Measure,
    Qsmo,
    format_number,
)
from shared.domain.framework_changes import (
    FrameworkState,
    fold,
    provider_details,
    provider_registry,
)
from shared.domain.overrides import Overrides
from shared.domain.providers import ProviderRegistry
from shared.events import GOVERNMENT, FrameworkChanged, FrameworkChangeKind
from shared.framework_log import DuplicateChangeError, FrameworkLog, with_seq
from shared.identity.people import person_details

__all__ = ["FrameworkAdmin", "FrameworkChangeRejected"]
log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

MAX_AUDIT_PAGE = 500
MAX_AUDIT_TEXT = 2000
"""Longest ``actor`` or ``reason`` an audit entry keeps."""
FULL_FOLD_EVERY_S = 60.0
"""How often ``FrameworkAdmin.state`` re-reads the whole audit log instead of its tail."""

Operation = Callable[Concatenate["FrameworkAdmin", P], Awaitable[FrameworkChanged]]


def _clears_cache(operation: Operation[P]) -> Operation[P]:
    """The cached state is forgotten after every change, recorded or refused."""

    @functools.wraps(operation)
    async def clearing(
        admin: "FrameworkAdmin", /, *args: P.args, **kwargs: P.kwargs
    ) -> FrameworkChanged:
        try:
            return await operation(admin, *args, **kwargs)
        finally:
            admin.clear()

    return clearing


class FrameworkAdmin:
    """Targets, weights, baselines, adoptions, new QSMOs, providers and their SLA targets,
    with an audit trail.

    ``announcer`` None records without announcing; ``cache`` None folds on every ``state()``
    (the gateway passes a ``ReadThrough`` that its live feed clears).
    """

    def __init__(
        self,
        framework_log: FrameworkLog,
        announcer: FrameworkAnnouncer | None = None,
        *,
        catalog: Catalog | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        cache: ReadThrough[FrameworkState] | None = None,
    ) -> None:
        self._log = framework_log
        self._announcer = announcer
        self._catalog = catalog or load_catalog()
        self._clock = clock
        self._cache = cache
        self._state = FrameworkState()
        self._next_full_fold = 0.0

    @property
    def framework(self) -> Framework:
        """The framework version the changes apply to (the catalog's default)."""
        return self._catalog.framework()

    async def state(self) -> FrameworkState:
        """Every recorded change folded: overrides and added QSMOs."""
        if self._cache is None:
            return await self._folded()
        return await self._cache.get("state", self._folded)

    async def _folded(self) -> FrameworkState:
        # Reads only the entries after those folded already (the log is append-only and
        # numbered without gaps), so a query costs one small read, not the whole log.
        if time.monotonic() >= self._next_full_fold:
            # Now and then from the start: a change rolled back by a store failover (and
            # replaced under the same number) is then dropped from the folded state too.
            self._next_full_fold = time.monotonic() + FULL_FOLD_EVERY_S
            self._state = fold(await self._log.after(0))
            return self._state
        known = self._state
        current = fold(await self._log.after(known.seq), known)
        if current.seq > self._state.seq:  # a concurrent call may have folded further
            self._state = current
        return current

    def changed(self, message: FrameworkChanged) -> None:
        """A change recorded by any gateway (heard on the live feed): forget the cached state."""
        self.clear()

    def clear(self) -> None:
        if self._cache is not None:
            self._cache.clear()

    async def overrides(self) -> Overrides:
        """The admin overrides in force (read from the log, not the cache)."""
        return (await self._folded()).overrides

    async def qsmos(self) -> list[Qsmo]:
        """The catalog's QSMOs followed by those added by admins, in order of addition.

        Read from the log, not the cache: the operations check against it.
        """
        return [*self._catalog.qsmos, *(await self._folded()).added_qsmos]

    async def providers(self) -> ProviderRegistry:
        """The catalog's providers with every recorded provider change applied.

        Read from the log, not the cache: the operations check against it.
        """
        return provider_registry(self._catalog.providers, await self._folded())

    async def audit_log(
        self, limit: int = 50, after_id: str | None = None
    ) -> list[FrameworkChanged]:
        """Recorded changes, newest first; ``after_id``: continue after that change (paging).

        ``details["seq"]`` holds each change's position in the log. Raises
        ``FrameworkChangeRejected`` for an unknown ``after_id`` or a limit outside 1..500.
        """
        if not 1 <= limit <= MAX_AUDIT_PAGE:
            raise FrameworkChangeRejected("limit", f"must be between 1 and {MAX_AUDIT_PAGE}")
        before = None
        if after_id is not None:
            before = await self._log.seq_of(after_id)
            if before is None:
                raise FrameworkChangeRejected("after_id", f"no change has id '{after_id}'")
        return [r.change for r in await self._log.page(limit, before)]

    # --- operations -------------------------------------------------------------------------
    @_clears_cache
    async def set_target(
        self,
        measure: str,
        target: float,
        *,
        qsmo: str | None = None,
        actor: str,
        reason: str,
        person: Person | None = None,
    ) -> FrameworkChanged:
        """Set a measure's target for everyone, or for one QSMO (government-wide ignores it)."""
        known = self._measure(measure)
        positive("target", target)
        self._in_range("target", known, target)
        if qsmo is not None:
            await self._known_qsmo(qsmo)
        return await self._record(
            "target", actor, reason, person=person, measure=measure, qsmo=qsmo, value=target
        )

    @_clears_cache
    async def set_measure_weight(
        self, measure: str, weight: float, *, actor: str, reason: str, person: Person | None = None
    ) -> FrameworkChanged:
        """Set a measure's weight within its dimension (> 0)."""
        self._measure(measure)
        positive("weight", weight)
        return await self._record(
            "weight", actor, reason, person=person, measure=measure, value=weight
        )

    @_clears_cache
    async def set_dimension_weight(
        self,
        dimension: str,
        weight: float,
        *,
        actor: str,
        reason: str,
        person: Person | None = None,
    ) -> FrameworkChanged:
        """Set a dimension's weight in the overall score (> 0)."""
        self._dimension(dimension)
        positive("weight", weight)
        return await self._record(
            "weight", actor, reason, person=person, dimension=dimension, value=weight
        )

    @_clears_cache
    async def set_baseline(
        self,
        measure: str,
        value: float,
        *,
        qsmo: str | None = None,
        actor: str,
        reason: str,
        person: Person | None = None,
    ) -> FrameworkChanged:
        """Set a measure's baseline for one QSMO, or government-wide (``qsmo`` None)."""
        known = self._measure(measure)
        if isinstance(value, bool) or not math.isfinite(value):
            raise FrameworkChangeRejected("value", "must be a finite number")
        self._in_range("value", known, value)
        if qsmo is not None:
            await self._known_qsmo(qsmo)
        return await self._record(
            "baseline", actor, reason, person=person, measure=measure, qsmo=qsmo, value=value
        )

    @_clears_cache
    async def adopt_dimension(
        self, dimension: str, phase: int, *, actor: str, reason: str, person: Person | None = None
    ) -> FrameworkChanged:
        """Adopt a proposed dimension: its measures count from ``phase`` on."""
        known = self._dimension(dimension)
        if known.status is not DimensionStatus.PROPOSED:
            raise FrameworkChangeRejected("dimension", f"'{dimension}' is not a proposed dimension")
        if dimension in (await self.overrides()).adopted_dimensions:
            raise FrameworkChangeRejected("dimension", f"'{dimension}' is already adopted")
        phases = [p.number for p in self.framework.phases]
        if isinstance(phase, bool) or phase not in phases:
            raise FrameworkChangeRejected("phase", f"must be one of {phases}, got {phase!r}")
        return await self._record(
            "dimension_adopted", actor, reason, person=person, dimension=dimension, phase=phase
        )

    @_clears_cache
    async def add_qsmo(
        self,
        qsmo_id: str,
        name: str,
        lead_agency: str,
        *,
        actor: str,
        reason: str,
        person: Person | None = None,
    ) -> FrameworkChanged:
        """Add a QSMO (an id of lower-case letters, digits and dashes, new and not reserved)."""
        if not IDENTIFIER.match(qsmo_id):
            raise FrameworkChangeRejected(
                "qsmo_id", "must be 1-64 lower-case letters, digits and dashes"
            )
        if qsmo_id == GOVERNMENT:
            raise FrameworkChangeRejected("qsmo_id", f"'{GOVERNMENT}' is reserved")
        if qsmo_id in {q.id for q in await self.qsmos()}:
            raise FrameworkChangeRejected("qsmo_id", f"QSMO '{qsmo_id}' already exists")
        for field, text in (("name", name), ("lead_agency", lead_agency)):
            if not text.strip():
                raise FrameworkChangeRejected(field, "must not be empty")
        details = {"name": name.strip(), "lead_agency": lead_agency.strip()}
        return await self._record(
            "qsmo_added",
            actor,
            reason,
            person=person,
            qsmo=qsmo_id,
            details=details,
            unique=f"qsmo|{qsmo_id}",
        )

    @_clears_cache
    async def add_provider(
        self,
        provider_id: str,
        name: str,
        kind: str,
        qsmos: Sequence[str],
        services: Sequence[str] = (),
        parent_agency: str | None = None,
        *,
        actor: str,
        reason: str,
        person: Person | None = None,
    ) -> FrameworkChanged:
        """Add a provider: a new id (never used, retired ones included), a kind, and the
        known QSMOs (at least one) whose marketplaces offer it."""
        if not IDENTIFIER.match(provider_id):
            raise FrameworkChangeRejected(
                "id", "must be 1-64 lower-case letters, digits and dashes"
            )
        registry = await self.providers()
        if provider_id in registry:
            existing = registry.get(provider_id)
            retired = " (retired; ids are never reused)" if existing and existing.retired else ""
            raise FrameworkChangeRejected("id", f"provider '{provider_id}' already exists{retired}")
        provider = checked_provider(
            {
                "id": provider_id,
                "name": name,
                "kind": kind,
                "qsmos": qsmos,
                "services": services,
                "parent_agency": parent_agency,
            },
            await self._qsmo_ids(),
        )
        return await self._record(
            "provider_added",
            actor,
            reason,
            person=person,
            provider=provider_id,
            details=provider_details(provider),
            unique=f"provider|{provider_id}",
        )

    @_clears_cache
    async def update_provider(
        self,
        provider_id: str,
        *,
        name: str | None = None,
        kind: str | None = None,
        qsmos: Sequence[str] | None = None,
        services: Sequence[str] | None = None,
        parent_agency: str | None = None,
        actor: str,
        reason: str,
        person: Person | None = None,
    ) -> FrameworkChanged:
        """Change the fields given (at least one, and to something new) of a known provider;
        the change records the provider as it is afterwards."""
        current = known_provider("id", provider_id, await self.providers())
        given = {
            "name": name,
            "kind": kind,
            "qsmos": qsmos,
            "services": services,
            "parent_agency": parent_agency,
        }
        changed = {k: v for k, v in given.items() if v is not None}
        if not changed:
            raise FrameworkChangeRejected(
                "id", "give at least one of name, kind, qsmos, services, parentAgency to change"
            )
        updated = checked_provider({**current.model_dump(), **changed}, await self._qsmo_ids())
        if updated == current:
            raise FrameworkChangeRejected(
                "id", f"provider '{provider_id}' already has those values"
            )
        return await self._record(
            "provider_updated",
            actor,
            reason,
            person=person,
            provider=provider_id,
            details=provider_details(updated),
        )

    @_clears_cache
    async def retire_provider(
        self, provider_id: str, *, actor: str, reason: str, person: Person | None = None
    ) -> FrameworkChanged:
        """Retire a provider: it keeps its history and accepts no new events (once only)."""
        current = known_provider("id", provider_id, await self.providers())
        if current.retired_at is not None:
            raise FrameworkChangeRejected(
                "id",
                f"provider '{provider_id}' was already retired on {current.retired_at.isoformat()}",
            )
        return await self._record(
            "provider_retired",
            actor,
            reason,
            person=person,
            provider=provider_id,
            unique=f"provider-retired|{provider_id}",
        )

    @_clears_cache
    async def set_sla_target(
        self,
        provider_id: str,
        measure: str,
        target: float,
        *,
        actor: str,
        reason: str,
        person: Person | None = None,
    ) -> FrameworkChanged:
        """Set a provider's SLA target for a measure: it wins over the QSMO's target for that
        provider's slice. The provider must be known and not retired; the target > 0 and
        inside the measure's value range."""
        current = known_provider("provider", provider_id, await self.providers())
        if current.retired_at is not None:
            raise FrameworkChangeRejected(
                "provider",
                f"provider '{provider_id}' was retired on {current.retired_at.isoformat()}; a "
                "retired provider gets no SLA targets",
            )
        known = self._measure(measure)
        positive("target", target)
        self._in_range("target", known, target)
        return await self._record(
            "sla_target",
            actor,
            reason,
            person=person,
            provider=provider_id,
            measure=measure,
            value=target,
        )

    # --- helpers ----------------------------------------------------------------------------
    def _measure(self, measure: str) -> Measure:
        return known("measure", self.framework.measure, measure)

    def _dimension(self, dimension: str) -> Dimension:
        return known("dimension", self.framework.dimension, dimension)

    @staticmethod
    def _in_range(field: str, measure: Measure, number: float) -> None:
        if not measure.value_range.contains(number):
            raise FrameworkChangeRejected(
                field,
                f"{format_number(number)} is outside the value range of '{measure.id}' "
                f"({measure.value_range.describe()} {measure.unit})",
            )

    async def _qsmo_ids(self) -> list[str]:
        return [q.id for q in await self.qsmos()]

    async def _known_qsmo(self, qsmo: str) -> None:
        known_qsmo("qsmo", qsmo, await self._qsmo_ids())

    async def _record(
        self,
        kind: FrameworkChangeKind,
        actor: str,
        reason: str,
        *,
        unique: str | None = None,
        qsmo: str | None = None,
        provider: str | None = None,
        measure: str | None = None,
        dimension: str | None = None,
        value: float | None = None,
        phase: int | None = None,
        details: dict[str, str] | None = None,
        person: Person | None = None,
    ) -> FrameworkChanged:
        for name, text in (("actor", actor), ("reason", reason)):
            if not text or not text.strip():
                raise FrameworkChangeRejected(name, "must not be empty (every change is audited)")
            if len(text) > MAX_AUDIT_TEXT:
                raise FrameworkChangeRejected(name, f"must be at most {MAX_AUDIT_TEXT} characters")
        change_id = uuid.uuid4().hex
        draft = FrameworkChanged(
            change_id=change_id,
            kind=kind,
            qsmo=qsmo,
            provider=provider,
            measure=measure,
            dimension=dimension,
            value=value,
            phase=phase,
            details={**(details or {}), **person_details(person)},
            actor=actor.strip(),
            reason=reason.strip(),
            changed_at=self._clock(),
        )
        try:
            seq = await self._log.append(draft, unique or change_id)
        except DuplicateChangeError:
            if provider is not None:
                what = "retired" if kind == "provider_retired" else "added"
                raise FrameworkChangeRejected(
                    "id", f"provider '{provider}' was already {what} by another admin"
                ) from None
            raise FrameworkChangeRejected("qsmo_id", "that QSMO already exists") from None
        change = with_seq(draft, seq).change
        if self._announcer is not None:
            try:
                await self._announcer.publish_framework_change(change)
            except Exception:  # recorded is what counts; the services re-read the log anyway
                log.exception("announcing a framework change failed", extra={"id": change_id})
        return change
