"""Turning Kafka records into accepted events, or into dead letters with a reason."""

import base64
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from shared.codecs import decode
from shared.domain.catalog import Catalog
from shared.domain.measures import ValueRange
from shared.domain.validation import EARLIEST_OCCURRED_AT, FUTURE_TOLERANCE, validate_observation
from shared.events import SUPPORTED_EVENT_SCHEMA_VERSIONS, AcceptedEvent, DeadLetter


@dataclass(frozen=True)
class RawRecord:
    """The parts of a Kafka record the service reads (so tests need no broker)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class PoisonMessageError(Exception):
    """A record that can never be processed; ``code`` says why."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def decode_event(record: RawRecord, catalog: Catalog) -> AcceptedEvent:
    """The record's event, checked again against the catalog; raises ``PoisonMessageError``.

    ``now`` for the future-timestamp rule is the event's own ``ingested_at``, so the verdict
    is the same on every replay. The QSMO was authorised by ingest and may be one an admin
    added after the catalog shipped, so it is not checked here. A measure is checked against
    the framework that defines it (``Catalog.framework_for_measure``): the provider tools feed
    the provider framework's measures through this same pipeline.
    """
    if record.value is None:
        raise PoisonMessageError("empty", "the record has no value")
    try:
        event = decode(AcceptedEvent, record.value)
    except ValidationError as error:
        version = _schema_version(record.value)  # only parsed again to explain the failure
        if version not in SUPPORTED_EVENT_SCHEMA_VERSIONS:
            supported = " or ".join(str(v) for v in SUPPORTED_EVENT_SCHEMA_VERSIONS)
            raise PoisonMessageError(
                "schema_version", f"schema_version {version!r} is not {supported}"
            ) from None
        raise PoisonMessageError("invalid", f"not an AcceptedEvent: {error.errors()[:3]}") from None
    if _plainly_valid(event, catalog):
        return event
    problems = validate_observation(
        catalog,
        qsmo=event.qsmo,
        measure=event.measure,
        value=event.value,
        occurred_at=event.occurred_at,
        now=event.ingested_at,
        known_qsmos=[event.qsmo],
        framework_version=catalog.framework_for_measure(event.measure).version,
    )
    if problems:
        raise PoisonMessageError("validation", "; ".join(p.message for p in problems))
    return event


def _plainly_valid(event: AcceptedEvent, catalog: Catalog) -> bool:
    """True only when ``validate_observation`` would find nothing (checked without it).

    The common case, decided from a per-measure cache: a known measure, a finite float in
    its range, offset-aware times, not in the future, not before FY2022. Anything else takes
    the full check, which explains what is wrong.
    """
    value_range = _value_ranges(catalog).get(event.measure)
    value, occurred_at, now = event.value, event.occurred_at, event.ingested_at
    if value_range is None or type(value) is not float or not math.isfinite(value):
        return False
    if now.utcoffset() is None or occurred_at.utcoffset() is None:
        return False
    at = occurred_at.astimezone(UTC)
    return (
        value_range.contains(value)
        and at <= now.astimezone(UTC) + FUTURE_TOLERANCE
        and at >= EARLIEST_OCCURRED_AT
    )


_RANGES: dict[int, tuple[Catalog, dict[str, ValueRange]]] = {}


def _value_ranges(catalog: Catalog) -> dict[str, ValueRange]:
    """Each measure id of the catalog's frameworks → the range of the framework that defines it.

    Kept per catalog object (the entry holds the catalog, so its ``id`` is not reused).
    """
    cached = _RANGES.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    ranges = {
        measure.id: catalog.framework_for_measure(measure.id).measure(measure.id).value_range
        for framework in catalog.frameworks
        for measure in framework.measures
    }
    if len(_RANGES) >= 8:
        _RANGES.clear()
    _RANGES[id(catalog)] = (catalog, ranges)
    return ranges


def _schema_version(payload: bytes) -> object:
    try:
        parsed = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PoisonMessageError("undecodable", f"not JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise PoisonMessageError("undecodable", "not a JSON object")
    return parsed.get("schema_version")


def dead_letter(record: RawRecord, poison: PoisonMessageError, now: datetime) -> DeadLetter:
    """The DLQ message for a poison record: reason and original bytes."""
    return DeadLetter(
        reason=poison.reason[:2000],
        code=poison.code,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key.decode(errors="replace") if record.key else None,
        payload_base64=base64.b64encode(record.value or b"").decode(),
        dead_lettered_at=now,
    )
