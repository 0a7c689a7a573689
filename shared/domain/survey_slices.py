"""Which measure slices a survey would expose below the threshold (pure).

Each response enters ``customer-satisfaction`` as one event naming its function's QSMO, its
agency and its provider, so a provider's or an agency's slice of that measure (within a QSMO,
or an agency's government-wide) is a survey group. ``small_slices`` lists the slices that hold
1 to ``MIN_RESPONDENTS - 1`` responses of one closed wave, or of all a fiscal year's closed
waves together; the gateway reads those slices of the survey-fed measure as no data.
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from shared.domain.survey import SurveyResponse
from shared.domain.survey_disclosure import MIN_RESPONDENTS

SliceKey = tuple[str | None, str, str]
"""(QSMO, or None for a government-wide agency slice; ``provider`` | ``agency``; its id)"""


def _slices_of(response: SurveyResponse, qsmo: str) -> list[SliceKey]:
    keys: list[SliceKey] = [(qsmo, "agency", response.agency), (None, "agency", response.agency)]
    if response.provider is not None:
        keys.append((qsmo, "provider", response.provider))
    return keys


def small_slices(
    waves: Iterable[Sequence[SurveyResponse]], function_qsmo: Mapping[str, str]
) -> frozenset[SliceKey]:
    """Slices with 1..4 responses in some wave of ``waves`` (one fiscal year's closed waves,
    each its responses) or in all of them together."""
    small: set[SliceKey] = set()
    total: Counter[SliceKey] = Counter()
    for responses in waves:
        counts = Counter(key for r in responses for key in _slices_of(r, function_qsmo[r.function]))
        small.update(key for key, n in counts.items() if n < MIN_RESPONDENTS)
        total.update(counts)
    small.update(key for key, n in total.items() if n < MIN_RESPONDENTS)
    return frozenset(small)
