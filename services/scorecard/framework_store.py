"""Audited admin changes to the framework, for the GraphQL gateway (OSSPI administers it).

Each operation validates against the catalog, appends a ``FrameworkChanged`` to the insert-only
audit log (``framework_changes``: who, when, why) and then announces it on
``qsmo.framework.v1``. The log is the source of truth: scorecard owners read it, so a lost
announcement only delays the recompute until their next log check.
"""

import logging
import math
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from services.scorecard.framework import FrameworkState, fold
from services.scorecard.framework_log import (
    DuplicateChangeError,
    InMemoryFrameworkLog,
    MongoFrameworkLog,
    with_seq,
)
from services.scorecard.views import GOVERNMENT
from shared import topics
from shared.catalog import load_catalog
from shared.codecs import encode
from shared.domain.catalog import Catalog, DimensionStatus, Framework, Qsmo, format_number
from shared.domain.overrides import Overrides
from shared.events import FrameworkChanged

log = logging.getLogger(__name__)

IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_AUDIT_PAGE = 500


MAX_AUDIT_TEXT = 2000
"""Longest ``actor`` or ``reason`` an audit entry keeps."""


class FrameworkChangeRejected(ValueError):  # noqa: N818 - the gateway's agreed name
    """An admin change that the catalog's rules refuse; ``field`` names the bad argument."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class FrameworkPublisher(Protocol):
    """Announces a recorded change (returns once the broker acknowledged)."""

    async def publish_framework_change(self, change: FrameworkChanged) -> None: ...


class KafkaFrameworkPublisher:
    """Publishes on ``qsmo.framework.v1`` keyed by the QSMO, or ``framework``."""

    def __init__(self, producer: Any, topic: str = topics.FRAMEWORK) -> None:
        self._producer = producer
        self._topic = topic

    async def publish_framework_change(self, change: FrameworkChanged) -> None:
        key = (change.qsmo or "framework").encode()
        await (await self._producer.send(self._topic, encode(change), key=key))


class InMemoryFrameworkPublisher:
    """Keeps the announced changes, for tests."""

    def __init__(self) -> None:
        self.changes: list[FrameworkChanged] = []

    async def publish_framework_change(self, change: FrameworkChanged) -> None:
        self.changes.append(change)


FrameworkLog = MongoFrameworkLog | InMemoryFrameworkLog


FULL_FOLD_EVERY_S = 60.0
"""How often ``FrameworkStore.state`` re-reads the whole audit log instead of its tail."""


class FrameworkStore:
    """Targets, weights, baselines, adoptions and new QSMOs, with an audit trail.

    ``database``: a pymongo async database (or a framework log adapter, in tests);
    ``producer_or_publisher``: an ``AIOKafkaProducer``, a ``FrameworkPublisher``, or None to
    record without announcing.
    """

    def __init__(
        self,
        database: Any,
        producer_or_publisher: Any = None,
        *,
        catalog: Catalog | None = None,
        topic: str = topics.FRAMEWORK,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        is_log = isinstance(database, MongoFrameworkLog | InMemoryFrameworkLog)
        self._log: FrameworkLog = database if is_log else MongoFrameworkLog(database)
        self._publisher: FrameworkPublisher | None
        if producer_or_publisher is None or hasattr(
            producer_or_publisher, "publish_framework_change"
        ):
            self._publisher = producer_or_publisher
        else:
            self._publisher = KafkaFrameworkPublisher(producer_or_publisher, topic)
        self._catalog = catalog or load_catalog()
        self._clock = clock
        self._state = FrameworkState()
        self._next_full_fold = 0.0

    @property
    def framework(self) -> Framework:
        """The framework version the changes apply to (the catalog's default)."""
        return self._catalog.framework()

    async def state(self) -> FrameworkState:
        """Every recorded change folded: overrides and added QSMOs.

        Reads only the entries after those folded already (the log is append-only and
        numbered without gaps), so a gateway query costs one small read, not the whole log;
        every ``FULL_FOLD_EVERY_S`` it folds the whole log again.
        """
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

    async def overrides(self) -> Overrides:
        """The admin overrides in force."""
        return (await self.state()).overrides

    async def qsmos(self) -> list[Qsmo]:
        """The catalog's QSMOs followed by those added by admins, in order of addition."""
        return [*self._catalog.qsmos, *(await self.state()).added_qsmos]

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
    async def set_target(
        self, measure: str, target: float, *, qsmo: str | None = None, actor: str, reason: str
    ) -> FrameworkChanged:
        """Set a measure's target for everyone, or for one QSMO (government-wide ignores it)."""
        known = self._measure(measure)
        _positive("target", target)
        if not known.value_range.contains(target):
            raise FrameworkChangeRejected(
                "target",
                f"{format_number(target)} is outside the value range of '{measure}' "
                f"({known.value_range.describe()} {known.unit})",
            )
        if qsmo is not None:
            await self._known_qsmo(qsmo)
        return await self._record("target", actor, reason, measure=measure, qsmo=qsmo, value=target)

    async def set_measure_weight(
        self, measure: str, weight: float, *, actor: str, reason: str
    ) -> FrameworkChanged:
        """Set a measure's weight within its dimension (> 0)."""
        self._measure(measure)
        _positive("weight", weight)
        return await self._record("weight", actor, reason, measure=measure, value=weight)

    async def set_dimension_weight(
        self, dimension: str, weight: float, *, actor: str, reason: str
    ) -> FrameworkChanged:
        """Set a dimension's weight in the overall score (> 0)."""
        self._dimension(dimension)
        _positive("weight", weight)
        return await self._record("weight", actor, reason, dimension=dimension, value=weight)

    async def set_baseline(
        self, measure: str, value: float, *, qsmo: str | None = None, actor: str, reason: str
    ) -> FrameworkChanged:
        """Set a measure's baseline for one QSMO, or government-wide (``qsmo`` None)."""
        known = self._measure(measure)
        if isinstance(value, bool) or not math.isfinite(value):
            raise FrameworkChangeRejected("value", "must be a finite number")
        if not known.value_range.contains(value):
            raise FrameworkChangeRejected(
                "value",
                f"{format_number(value)} is outside the value range of '{measure}' "
                f"({known.value_range.describe()} {known.unit})",
            )
        if qsmo is not None:
            await self._known_qsmo(qsmo)
        return await self._record(
            "baseline", actor, reason, measure=measure, qsmo=qsmo, value=value
        )

    async def adopt_dimension(
        self, dimension: str, phase: int, *, actor: str, reason: str
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
            "dimension_adopted", actor, reason, dimension=dimension, phase=phase
        )

    async def add_qsmo(
        self, qsmo_id: str, name: str, lead_agency: str, *, actor: str, reason: str
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
            "qsmo_added", actor, reason, qsmo=qsmo_id, details=details, unique=f"qsmo|{qsmo_id}"
        )

    # --- helpers ----------------------------------------------------------------------------
    def _measure(self, measure: str) -> Any:
        try:
            return self.framework.measure(measure)
        except KeyError:
            raise FrameworkChangeRejected("measure", f"unknown measure '{measure}'") from None

    def _dimension(self, dimension: str) -> Any:
        try:
            return self.framework.dimension(dimension)
        except KeyError:
            raise FrameworkChangeRejected("dimension", f"unknown dimension '{dimension}'") from None

    async def _known_qsmo(self, qsmo: str) -> None:
        known = [q.id for q in await self.qsmos()]
        if qsmo not in known:
            raise FrameworkChangeRejected(
                "qsmo", f"unknown QSMO '{qsmo}' (known: {', '.join(known)})"
            )

    async def _record(
        self, kind: Any, actor: str, reason: str, *, unique: str | None = None, **fields: Any
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
            actor=actor.strip(),
            reason=reason.strip(),
            changed_at=self._clock(),
            **fields,
        )
        try:
            seq = await self._log.append(draft, unique or change_id)
        except DuplicateChangeError:
            raise FrameworkChangeRejected("qsmo_id", "that QSMO already exists") from None
        change = with_seq(draft, seq).change
        if self._publisher is not None:
            try:
                await self._publisher.publish_framework_change(change)
            except Exception:  # recorded is what counts; owners re-read the log anyway
                log.exception("announcing a framework change failed", extra={"id": change_id})
        return change


def _positive(field: str, number: float) -> None:
    if isinstance(number, bool) or not math.isfinite(number) or number <= 0:
        raise FrameworkChangeRejected(field, f"must be a finite number > 0, got {number!r}")
