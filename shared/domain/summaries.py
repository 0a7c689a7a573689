"""Mergeable per-(QSMO, measure, day) summaries from which every period's value is computed.

A ``Summary`` holds count, exact sum, min, max and the latest observation. ``merge`` is
associative and commutative with ``EMPTY`` as identity, *exactly* — not just up to rounding —
so days can be summed into months, quarters, fiscal years and rolling windows in any order, and
a late event lands in its own day without disturbing anything else.

Exact sums: the sum is kept as the *greedy expansion* of the exact real total ``S``: the tuple
``(p0, p1, …)`` with ``p0 = round(S)``, ``p1 = round(S - p0)`` and so on until nothing is left
(each ``round`` to the nearest double, the remainders computed exactly: ``math.fsum`` is
Shewchuk's error-free summation). Because the expansion depends only on ``S``, equal totals
give equal tuples whatever the order of the additions, and ``p0`` is the correctly rounded sum.
It is plain floats, so it stores as JSON or BSON without ``Decimal``.
A total beyond the float range raises ``OverflowError``.
"""

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import reduce
from typing import Any

from shared.domain.catalog import Aggregation
from shared.domain.fiscal import to_utc


@dataclass(frozen=True, slots=True)
class Latest:
    """The observation that wins ``latest``: greatest ``occurred_at``, then greatest ``seq``.

    ``seq`` is the processing order (larger = processed later); a full tie on both falls back
    to the larger value, so the choice never depends on merge order.
    """

    value: float
    occurred_at: datetime
    seq: int

    def wins_over(self, other: "Latest") -> bool:
        """True when ``self`` is the later observation of the two."""
        return (self.occurred_at, self.seq, self.value) > (
            other.occurred_at,
            other.seq,
            other.value,
        )


@dataclass(frozen=True, slots=True)
class Summary:
    """Count, exact sum (``partials``), min, max and latest of a set of observations."""

    count: int = 0
    partials: tuple[float, ...] = ()
    min: float | None = None
    max: float | None = None
    latest: Latest | None = None

    @classmethod
    def empty(cls) -> "Summary":
        """The summary of no observations (the same value as ``EMPTY``)."""
        return cls()

    @property
    def total(self) -> float:
        """The sum of the values, correctly rounded (0.0 when empty)."""
        return self.partials[0] if self.partials else 0.0

    def to_document(self) -> dict[str, Any]:
        """A JSON- and BSON-safe dict (floats, ints, an ISO 8601 timestamp string).

        ``sum`` is informational (the correctly rounded total); ``sum_partials`` is what
        ``from_document`` reads back.
        """
        latest = self.latest
        return {
            "count": self.count,
            "sum": self.total,
            "sum_partials": list(self.partials),
            "min": self.min,
            "max": self.max,
            "latest": None
            if latest is None
            else {
                "value": latest.value,
                "occurred_at": latest.occurred_at.isoformat(),
                "seq": latest.seq,
            },
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> "Summary":
        """Rebuild a summary written by ``to_document``.

        ``latest.occurred_at`` may be an ISO 8601 string or a ``datetime``; a naive
        ``datetime`` is taken as UTC, which is how BSON stores dates. Raises ValueError for an
        inconsistent document (for instance a count of 0 with a latest value).
        """
        latest_doc = document.get("latest")
        latest = None if latest_doc is None else _latest_from(latest_doc)
        count = int(document["count"])
        if count < 0 or (count == 0) != (latest is None):
            raise ValueError(f"inconsistent summary document: count {count}, latest {latest}")
        return cls(
            count=count,
            partials=_expansion([float(p) for p in document["sum_partials"]]),
            min=None if document["min"] is None else float(document["min"]),
            max=None if document["max"] is None else float(document["max"]),
            latest=latest,
        )


def _latest_from(document: Mapping[str, Any]) -> Latest:
    raw = document["occurred_at"]
    occurred_at = datetime.fromisoformat(raw) if isinstance(raw, str) else raw
    if not isinstance(occurred_at, datetime):
        raise ValueError(f"latest.occurred_at must be a timestamp, got {raw!r}")
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=UTC)
    return Latest(float(document["value"]), to_utc(occurred_at), int(document["seq"]))


EMPTY = Summary()
"""The summary of no observations: the identity of ``merge``."""


def _expansion(values: Iterable[float]) -> tuple[float, ...]:
    """The greedy expansion ``(round(S), round(S - p0), …)`` of the exact sum ``S``.

    ``math.fsum`` is the exact sum correctly rounded (Shewchuk's algorithm, in C), so each
    term is ``fsum`` of the values and the negated terms so far. A total (or a running total)
    beyond the float range raises ``OverflowError``, as does a non-finite value.
    """
    terms = list(values)
    if len(terms) == 1:
        # One finite value is its own expansion (fsum would only copy it).
        only = terms[0]
        if not math.isfinite(only):
            raise OverflowError("sum exceeds the float range")
        return (only,) if only else ()
    canonical: list[float] = []
    try:
        while (head := math.fsum(terms)) != 0.0:
            if not math.isfinite(head):
                raise OverflowError("sum exceeds the float range")
            canonical.append(head)
            terms.append(-head)
    except (OverflowError, ValueError):  # fsum: "intermediate overflow", "-inf + inf"
        raise OverflowError("sum exceeds the float range") from None
    return tuple(canonical)


def observation(value: float, occurred_at: datetime, seq: int) -> Summary:
    """The summary of one observation.

    Raises ValueError for a bool, a non-finite value or a naive ``occurred_at``. ``-0.0`` is
    stored as ``0.0`` so that equal inputs always give equal documents.
    """
    return fold_ranked(EMPTY, [ranked(value, occurred_at, seq)])


Ranked = tuple[datetime, int, float]
"""One observation as ``(occurred_at in UTC, seq, value)``: checked, and ordered as ``latest``
orders observations (the greater tuple wins, as in ``Latest.wins_over``)."""


def ranked(value: float, occurred_at: datetime, seq: int) -> Ranked:
    """One observation, checked, for ``fold_ranked``; the checks of ``observation``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"value must be a number, got {value!r}")
    number = float(value) + 0.0
    if not math.isfinite(number):
        raise ValueError(f"value must be finite, got {value!r}")
    return (to_utc(occurred_at), seq, number)


def fold_ranked(summary: Summary, observations: Sequence[Ranked]) -> Summary:
    """``summary`` with every observation folded in, at once: one exact sum for all of them.

    Equal to folding them one by one (``fold``) in any order, since count, exact sum, min,
    max and latest do not depend on the order; ``summary`` itself when there are none.
    """
    if not observations:
        return summary
    values = [number for _, _, number in observations]
    occurred_at, seq, number = max(observations)
    latest = Latest(number, occurred_at, seq)
    if summary.count == 0:
        return Summary(len(values), _expansion(values), min(values), max(values), latest)
    return Summary(
        count=summary.count + len(values),
        partials=_expansion([*summary.partials, *values]),
        min=_either(min, summary.min, min(values)),
        max=_either(max, summary.max, max(values)),
        latest=_later(summary.latest, latest),
    )


def merge(a: Summary, b: Summary) -> Summary:
    """The summary of the observations of ``a`` and ``b`` together.

    Associative and commutative with exact equality; ``EMPTY`` is the identity.
    """
    if a.count == 0:
        return b
    if b.count == 0:
        return a
    return Summary(
        count=a.count + b.count,
        partials=_expansion(a.partials + b.partials),
        min=_either(min, a.min, b.min),
        max=_either(max, a.max, b.max),
        latest=_later(a.latest, b.latest),
    )


def _either(
    choose: Callable[[float, float], float], x: float | None, y: float | None
) -> float | None:
    if x is None or y is None:
        return y if x is None else x
    return choose(x, y)


def _later(x: Latest | None, y: Latest | None) -> Latest | None:
    if x is None or y is None:
        return y if x is None else x
    return x if x.wins_over(y) else y


def fold(summary: Summary, value: float, occurred_at: datetime, seq: int) -> Summary:
    """``summary`` with one more observation (``seq``: processing order, larger = later)."""
    return merge(summary, observation(value, occurred_at, seq))


def fold_all(
    observations: Iterable[tuple[float, datetime, int]], summary: Summary = EMPTY
) -> Summary:
    """``summary`` with every ``(value, occurred_at, seq)`` observation folded in."""
    return fold_ranked(summary, [ranked(v, at, seq) for v, at, seq in observations])


def merge_all(summaries: Iterable[Summary]) -> Summary:
    """All summaries merged into one (``EMPTY`` for none)."""
    return reduce(merge, summaries, EMPTY)


def value_of(summary: Summary, aggregation: Aggregation) -> float | None:
    """The period value: ``sum`` Σ, ``mean`` Σ/count, ``latest`` the winning observation.

    An empty summary has no value: None, never 0.
    """
    if summary.latest is None:
        return None
    if aggregation is Aggregation.SUM:
        return summary.total
    if aggregation is Aggregation.MEAN:
        return summary.total / summary.count
    return summary.latest.value


def government_wide_value(
    per_qsmo: Mapping[str, Summary], aggregation: Aggregation
) -> float | None:
    """The government-wide value of one measure from each QSMO's summary.

    ``sum`` and ``mean`` pool every QSMO's observations (a mean of all events, not a mean of
    QSMO means); ``latest`` is the plain mean of each QSMO's latest value, skipping QSMOs
    without data. None when no QSMO has data.
    """
    if aggregation is not Aggregation.LATEST:
        return value_of(merge_all(per_qsmo.values()), aggregation)
    latest = [s.latest.value for s in per_qsmo.values() if s.latest is not None]
    return math.fsum(latest) / len(latest) if latest else None
