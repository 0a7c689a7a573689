"""``accept_events``: authorize → throttle → validate the whole request → publish → result.

All or nothing: either every event of the request is acknowledged by Kafka and reported
accepted, or the request is refused (``services.ingest.errors``) and none is reported
accepted. No FastAPI here; the clock, the catalog and the publisher come in as arguments.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import TypeAdapter

from services.ingest.errors import (
    ForbiddenError,
    InvalidEventsError,
    ThrottledError,
    UnavailableError,
)
from services.ingest.ports import Clock, EventPublisher, PublishUnavailableError
from services.ingest.qsmo_directory import QsmoDirectory
from services.ingest.rate_limit import RateLimiter
from services.ingest.schemas import ErrorDetail
from services.ingest.validation import Submission
from shared.api_keys import Principal
from shared.authorization import Permission, PermissionDenied, allows, require_some
from shared.domain.catalog import Catalog
from shared.domain.providers import ProviderRegistry
from shared.domain.validation import FieldError, validate_observation, validate_provider
from shared.events import AcceptedEvent, PerformanceEvent

MAX_DETAILS = 1000
"""Error entries listed in one answer; a fully broken 1000-event batch stays readable."""

_ACCEPTED_EVENTS = TypeAdapter(list[AcceptedEvent])


@dataclass(frozen=True)
class IngestContext:
    """What ``accept_events`` works with: built once by the composition root."""

    catalog: Catalog
    publisher: EventPublisher
    limiter: RateLimiter
    clock: Clock
    retry_after_s: int
    qsmos: QsmoDirectory | None = None
    """QSMO ids and providers events may name (the catalog's with admins' changes); None:
    the catalog's."""

    def providers(self) -> ProviderRegistry:
        """The provider registry events are checked against."""
        if self.qsmos is None:
            return ProviderRegistry(self.catalog.providers)
        return self.qsmos.providers


@dataclass(frozen=True)
class AcceptedBatch:
    """The outcome of an accepted request: ids in request order."""

    request_id: str
    event_ids: tuple[str, ...]


async def accept_events(
    submission: Submission, principal: Principal, request_id: str, context: IngestContext
) -> AcceptedBatch:
    """Publish every event of ``submission`` or none; raise the reason for refusing.

    Raises ``ForbiddenError`` (an event for a QSMO the key may not publish for), ``ThrottledError``
    (the key's token bucket lacks one token per event), ``InvalidEventsError`` (type errors,
    catalog rules, repeated event_ids) or ``UnavailableError`` (Kafka did not acknowledge
    every event in time; some may have been written, which event_ids make harmless).
    """
    authorize(submission, principal)
    decision = context.limiter.take(principal.key_id, len(submission), context.clock.monotonic())
    if not decision.allowed:
        raise ThrottledError(
            f"key '{principal.key_id}' is over its rate of {context.limiter.rate_per_s:g} "
            f"events/s (burst {context.limiter.burst}); retry in {decision.retry_after_s} s "
            "with the same event_ids.",
            retry_after_s=decision.retry_after_s,
        )
    now = context.clock.now()
    known = None if context.qsmos is None else context.qsmos.ids()
    providers = context.providers()
    _refuse_unknown_qsmos_until_loaded(submission, context, known)
    _refuse_unknown_providers_until_loaded(submission, context, providers)
    events = validated_events(submission, context.catalog, now, known, providers)
    accepted = _ACCEPTED_EVENTS.validate_python(
        [{**event.__dict__, "ingested_at": now, "request_id": request_id} for event in events]
    )
    try:
        await context.publisher.publish(accepted)
    except PublishUnavailableError as error:
        raise UnavailableError(
            f"the event store did not confirm the events in time ({error}); none is "
            f"accepted. Retry in {context.retry_after_s} s with the same event_ids.",
            retry_after_s=context.retry_after_s,
        ) from None
    return AcceptedBatch(request_id, tuple(event.event_id for event in events))


def _refuse_unknown_qsmos_until_loaded(
    submission: Submission, context: IngestContext, known: Sequence[str] | None
) -> None:
    """503, not 422, for a QSMO missing from a list not loaded yet (it may be an added one).

    After a restart with the store unreachable, a 422 would tell a QSMO system to drop
    valid events for a QSMO an admin added; a 503 makes it retry.
    """
    if context.qsmos is None or context.qsmos.loaded or known is None:
        return
    unknown = sorted({q for q in submission.qsmos if q is not None and q not in known})
    if unknown:
        raise UnavailableError(
            f"QSMO '{unknown[0]}' is not in the catalog and the QSMOs added by admins are not "
            f"loaded yet (the store is not answering); none is accepted. Retry in "
            f"{context.retry_after_s} s with the same event_ids.",
            retry_after_s=context.retry_after_s,
        )


def _refuse_unknown_providers_until_loaded(
    submission: Submission, context: IngestContext, providers: ProviderRegistry
) -> None:
    """503, not 422, for a provider unknown (or not offered by the event's QSMO) while the
    admins' provider changes are not loaded yet: it may be one an admin added or updated."""
    if context.qsmos is None or context.qsmos.loaded:
        return
    for event in submission.events:
        if event is None or event.provider is None:
            continue
        known = providers.get(event.provider)
        if known is None or not known.serves(event.qsmo):
            raise UnavailableError(
                f"provider '{event.provider}' is not a catalog provider of QSMO '{event.qsmo}' "
                "and the providers added or changed by admins are not loaded yet (the store "
                f"is not answering); none is accepted. Retry in {context.retry_after_s} s "
                "with the same event_ids.",
                retry_after_s=context.retry_after_s,
            )


def authorize(submission: Submission, principal: Principal) -> None:
    """Refuse the request if the key may not publish one of its events (viewers: none)."""
    try:
        require_some(principal, Permission.PUBLISH_EVENTS)
    except PermissionDenied as denied:
        raise ForbiddenError(denied.message) from None
    details = [
        ErrorDetail(
            index=index,
            line=submission.line_of(index),
            event_id=submission.event_ids[index],
            field="qsmo",
            code="qsmo_not_allowed",
            message=f"this key may publish only for QSMO '{principal.qsmo}', not '{qsmo}'.",
        )
        for index, qsmo in enumerate(submission.qsmos)
        if qsmo is not None and not allows(principal, Permission.PUBLISH_EVENTS, qsmo)
    ]
    if details:
        raise ForbiddenError(
            f"key '{principal.key_id}' may publish only for QSMO '{principal.qsmo}'; "
            f"{len(details)} event(s) name another QSMO. Nothing was accepted.",
            details[:MAX_DETAILS],
        )


def validated_events(
    submission: Submission,
    catalog: Catalog,
    now: datetime,
    known_qsmos: Sequence[str] | None = None,
    providers: ProviderRegistry | None = None,
) -> list[PerformanceEvent]:
    """The events if all pass every rule, else ``InvalidEventsError`` listing every problem.

    ``providers``: the registry ``provider`` is checked against (default: the catalog's).
    """
    registry = providers if providers is not None else ProviderRegistry(catalog.providers)
    qsmo_ids = frozenset(catalog.qsmo_ids if known_qsmos is None else known_qsmos)
    problems = list(submission.problems)
    for index, event in enumerate(submission.events):
        if event is None:
            continue
        errors: list[FieldError] = validate_observation(
            catalog,
            qsmo=event.qsmo,
            measure=event.measure,
            value=event.value,
            occurred_at=event.occurred_at,
            now=now,
            known_qsmos=known_qsmos,
        )
        errors += validate_provider(
            registry, provider=event.provider, qsmo=event.qsmo, qsmo_known=event.qsmo in qsmo_ids
        )
        problems += [
            ErrorDetail(
                index=index,
                event_id=event.event_id,
                field=error.field,
                code=str(error.code),
                message=error.message,
            )
            for error in errors
        ]
    problems += duplicate_ids(submission.event_ids)
    if problems:
        raise _invalid(submission, problems)
    return [event for event in submission.events if event is not None]


def duplicate_ids(event_ids: Sequence[str | None]) -> list[ErrorDetail]:
    """An entry for every repeat of an event_id within one request (the first is fine).

    Downstream, a repeated event_id is ignored, so a second, different event under the
    same id in one request would be lost silently; we refuse it instead.
    """
    first_seen: dict[str, int] = {}
    details = []
    for index, event_id in enumerate(event_ids):
        if event_id is None:
            continue
        first = first_seen.setdefault(event_id, index)
        if first != index:
            message = (
                f"event_id '{event_id}' is already used by event {first} of this request; "
                "every event needs its own event_id (remove the repeat or give it a new id)."
            )
            details.append(
                ErrorDetail(
                    index=index,
                    event_id=event_id,
                    field="event_id",
                    code="duplicate_event_id",
                    message=message,
                )
            )
    return details


def _invalid(submission: Submission, problems: list[ErrorDetail]) -> InvalidEventsError:
    bad = len({p.index for p in problems})
    problems.sort(key=lambda p: p.index if p.index is not None else -1)
    shown = [
        p.model_copy(update={"line": submission.line_of(p.index)}) if p.index is not None else p
        for p in problems[:MAX_DETAILS]
    ]
    more = (
        f" (the first {MAX_DETAILS} of {len(problems)} problems are listed)"
        if len(problems) > MAX_DETAILS
        else ""
    )
    return InvalidEventsError(
        f"{bad} of {len(submission)} event(s) are invalid, so none was accepted; fix the "
        f"problems listed{more} and send the whole request again.",
        shown,
    )
