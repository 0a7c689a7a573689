"""Catalog rules for one observation, reported as errors a person can act on.

Type checks (is ``value`` a JSON number, is ``occurred_at`` RFC 3339) belong to the event
model; this module checks what needs the catalog and the clock: a known QSMO and measure, a
value inside the measure's range, a timestamp with an offset, not in the future (5 minutes of
clock skew allowed) and not before FY2022, when the framework began. Measures of proposed
dimensions are accepted (they collect data before they are scored).

``validate_provider`` checks an event's ``provider`` (rev. 2) against the provider registry:
a known id, offered by the event's QSMO, not retired. Only ingest applies it: an event
accepted before its provider was retired stays valid downstream and on replay.
"""

import difflib
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from shared.domain.catalog import Catalog, Measure, format_number
from shared.domain.fiscal import fiscal_year_period, to_utc
from shared.domain.providers import ProviderRegistry

FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST_OCCURRED_AT = fiscal_year_period(2022).start
"""1 Oct 2021 00:00 UTC, the first instant of FY2022."""


class ErrorCode(StrEnum):
    """Stable machine-readable codes of ``FieldError`` (clients may branch on them)."""

    UNKNOWN_QSMO = "unknown_qsmo"
    UNKNOWN_MEASURE = "unknown_measure"
    VALUE_NOT_A_NUMBER = "value_not_a_number"
    VALUE_NOT_FINITE = "value_not_finite"
    VALUE_OUT_OF_RANGE = "value_out_of_range"
    TIMESTAMP_INVALID = "timestamp_invalid"
    TIMESTAMP_WITHOUT_OFFSET = "timestamp_without_offset"
    TIMESTAMP_IN_FUTURE = "timestamp_in_future"
    TIMESTAMP_BEFORE_FY2022 = "timestamp_before_fy2022"
    UNKNOWN_PROVIDER = "unknown_provider"
    PROVIDER_NOT_OFFERED = "provider_not_offered"
    PROVIDER_RETIRED = "provider_retired"


@dataclass(frozen=True)
class FieldError:
    """One problem with one field: ``field`` name, stable ``code``, actionable ``message``."""

    field: str
    code: ErrorCode
    message: str


def validate_observation(
    catalog: Catalog,
    *,
    qsmo: str,
    measure: str,
    value: object,
    occurred_at: datetime | str,
    now: datetime,
    known_qsmos: Collection[str] | None = None,
    framework_version: str | None = None,
) -> list[FieldError]:
    """Every catalog rule the observation breaks, in field order; empty when it is valid.

    ``known_qsmos`` replaces the catalog's QSMO list (admins add QSMOs at run time).
    ``occurred_at`` may be a ``datetime`` or an RFC 3339 string; ``now`` is the caller's clock
    and must be timezone-aware (ValueError otherwise). The value's range is checked only when
    the measure is known.
    """
    framework = catalog.framework(framework_version)
    qsmo_ids = catalog.qsmo_ids if known_qsmos is None else tuple(known_qsmos)
    errors = _check_qsmo(qsmo, qsmo_ids)
    known_measure = measure in framework.measure_ids
    if not known_measure:
        errors += _unknown_measure(measure, framework.version, framework.measure_ids)
    errors += _check_value(value, framework.measure(measure) if known_measure else None)
    errors += _check_timestamp(occurred_at, to_utc(now))
    return errors


def validate_provider(
    registry: ProviderRegistry, *, provider: str | None, qsmo: str, qsmo_known: bool = True
) -> list[FieldError]:
    """The problem with an event's ``provider``, if any (None: no provider, always valid).

    Unknown ids get a did-you-mean and the QSMO's providers; a provider the QSMO does not
    offer names the QSMOs it serves (not checked when ``qsmo_known`` is False: that QSMO's
    own error says it all); a retired provider says when it was retired.
    """
    if provider is None:
        return []
    known = registry.get(provider)
    if known is None:
        close = registry.did_you_mean(provider)
        hint = f" did you mean '{close}'?" if close else ""
        choose = _capital(_choose(registry, qsmo, qsmo_known))
        message = f"provider '{provider}' is not a known provider;{hint} {choose}."
        return [FieldError("provider", ErrorCode.UNKNOWN_PROVIDER, message)]
    if known.retired_at is not None:
        message = (
            f"provider '{provider}' was retired on {known.retired_at.isoformat()} and accepts "
            f"no new events; {_choose(registry, qsmo, qsmo_known)}."
        )
        return [FieldError("provider", ErrorCode.PROVIDER_RETIRED, message)]
    if qsmo_known and not known.serves(qsmo):
        message = (
            f"provider '{provider}' is not offered by QSMO '{qsmo}'; it serves "
            f"{', '.join(known.qsmos)}. Send the event for one of those QSMOs, or "
            f"{_choose(registry, qsmo, qsmo_known)}."
        )
        return [FieldError("provider", ErrorCode.PROVIDER_NOT_OFFERED, message)]
    return []


def _choose(registry: ProviderRegistry, qsmo: str, qsmo_known: bool) -> str:
    """The fix for a provider the event may not name: the QSMO's providers, or none."""
    offered = [p.id for p in registry.all(qsmo=qsmo, include_retired=False)] if qsmo_known else []
    if not offered:
        return "leave provider out"
    return f"name one of {qsmo}'s providers ({', '.join(offered)}) or leave provider out"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _suggestion(wrong: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(wrong, known, n=1, cutoff=0.6)
    return f" did you mean '{close[0]}'?" if close else ""


def _check_qsmo(qsmo: str, known: Sequence[str]) -> list[FieldError]:
    if qsmo in known:
        return []
    message = (
        f"qsmo '{qsmo}' is not a known QSMO;{_suggestion(qsmo, known)} "
        f"Known QSMOs: {', '.join(sorted(known))}."
    )
    return [FieldError("qsmo", ErrorCode.UNKNOWN_QSMO, message)]


def _unknown_measure(measure: str, version: str, known: Sequence[str]) -> list[FieldError]:
    message = (
        f"measure '{measure}' is not in framework {version};{_suggestion(measure, known)} "
        f"Known measures: {', '.join(known)}."
    )
    return [FieldError("measure", ErrorCode.UNKNOWN_MEASURE, message)]


def _check_value(value: object, measure: Measure | None) -> list[FieldError]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "a boolean" if isinstance(value, bool) else type(value).__name__
        message = f"value {value!r} is {kind}, not a number; send a JSON number such as 4.5."
        return [FieldError("value", ErrorCode.VALUE_NOT_A_NUMBER, message)]
    if not math.isfinite(value):
        message = f"value {value!r} is not a finite number; send a finite number such as 4.5."
        return [FieldError("value", ErrorCode.VALUE_NOT_FINITE, message)]
    if measure is None or measure.value_range.contains(value):
        return []
    bounds = measure.value_range
    hint = (
        f"a number ≥ {format_number(bounds.min)}"
        if bounds.max is None
        else f"a number from {format_number(bounds.min)} to {format_number(bounds.max)}"
    )
    message = (
        f"value {format_number(value)} is outside {bounds.describe()} for {measure.id} "
        f"({measure.unit}); send {hint}."
    )
    return [FieldError("value", ErrorCode.VALUE_OUT_OF_RANGE, message)]


def _check_timestamp(occurred_at: datetime | str, now: datetime) -> list[FieldError]:
    if isinstance(occurred_at, str):
        try:
            parsed = datetime.fromisoformat(occurred_at)
        except ValueError:
            message = (
                f"occurred_at {occurred_at!r} is not an RFC 3339 timestamp; "
                "send one like 2024-03-01T12:00:00Z or 2024-03-01T08:00:00-04:00."
            )
            return [FieldError("occurred_at", ErrorCode.TIMESTAMP_INVALID, message)]
        occurred_at = parsed
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
        shown = occurred_at.isoformat()
        message = (
            f"occurred_at {shown} has no UTC offset; add one, e.g. {shown}Z "
            "or an offset such as -04:00."
        )
        return [FieldError("occurred_at", ErrorCode.TIMESTAMP_WITHOUT_OFFSET, message)]
    utc = occurred_at.astimezone(UTC)
    if utc > now + FUTURE_TOLERANCE:
        message = (
            f"occurred_at {occurred_at.isoformat()} is in the future (now is "
            f"{now.isoformat()}, 5 minutes of clock skew allowed); send the time the "
            "observation happened and check the sender's clock."
        )
        return [FieldError("occurred_at", ErrorCode.TIMESTAMP_IN_FUTURE, message)]
    if utc < EARLIEST_OCCURRED_AT:
        message = (
            f"occurred_at {occurred_at.isoformat()} is before FY2022, which began "
            f"{EARLIEST_OCCURRED_AT.isoformat()}; the framework holds no earlier data, so "
            "send only observations from 2021-10-01 on."
        )
        return [FieldError("occurred_at", ErrorCode.TIMESTAMP_BEFORE_FY2022, message)]
    return []
