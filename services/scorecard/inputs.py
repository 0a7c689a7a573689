"""What the scorecard service keeps of each ``MeasureValueChanged``: one input state per key.

Pure values; timestamps are truncated to milliseconds (BSON's precision) so a stored state
equals a fresh one.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from shared.domain.summaries import Summary
from shared.events import GOVERNMENT, MeasureValueChanged


def to_millis(moment: datetime) -> datetime:
    """``moment`` in UTC truncated to whole milliseconds (BSON's precision); naive = UTC."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.replace(microsecond=aware.microsecond // 1000 * 1000)


def _maybe_millis(moment: datetime | None) -> datetime | None:
    return None if moment is None else to_millis(moment)


@dataclass(frozen=True)
class InputState:
    """One (scope, QSMO, measure, fiscal year) value state as last announced by measures.

    ``scope`` ``qsmo`` inputs belong to the QSMO's scorecards, ``government`` ones to the
    government-wide scorecards, so the two consumers never write the same document.
    ``restated``: the message that last changed it carried late data.
    """

    scope: Literal["qsmo", "government"]
    qsmo: str
    measure: str
    fiscal_year: int
    summary: Summary
    restated: bool
    restated_count: int
    last_occurred_at: datetime | None
    last_ingested_at: datetime | None
    changed_at: datetime

    @property
    def owner(self) -> str:
        """The scorecard owner (and Kafka key): the QSMO, or ``government``."""
        return self.qsmo if self.scope == "qsmo" else GOVERNMENT

    @property
    def key(self) -> str:
        """``scope|qsmo|measure|FY<year>``: the stored document's id."""
        return input_key(self.scope, self.qsmo, self.measure, self.fiscal_year)

    def same_state(self, other: "InputState") -> bool:
        """True when both hold the same data (``restated``/``changed_at`` aside)."""
        return (
            self.summary,
            self.restated_count,
            self.last_occurred_at,
            self.last_ingested_at,
        ) == (
            other.summary,
            other.restated_count,
            other.last_occurred_at,
            other.last_ingested_at,
        )


def input_key(scope: str, qsmo: str, measure: str, fiscal_year: int) -> str:
    """The id of an input document."""
    return f"{scope}|{qsmo}|{measure}|FY{fiscal_year}"


def input_from_message(message: MeasureValueChanged) -> InputState:
    """The input state a fiscal-year ``MeasureValueChanged`` announces (timestamps in ms)."""
    return InputState(
        scope=message.scope,
        qsmo=message.qsmo,
        measure=message.measure,
        fiscal_year=message.period.fiscal_year,
        summary=Summary.from_document(message.summary),
        restated=message.restated,
        restated_count=message.restated_count,
        last_occurred_at=_maybe_millis(message.last_occurred_at),
        last_ingested_at=_maybe_millis(message.last_ingested_at),
        changed_at=to_millis(message.changed_at),
    )
