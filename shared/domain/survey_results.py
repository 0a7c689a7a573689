"""A closed wave's results per group, as the results queries publish them (pure).

Every figure comes from ``shared.domain.survey_disclosure.disclose`` over the whole wave, so
whatever a caller asks (total, by role/agency/function/provider, one provider's groups) the
answers together reveal no group of fewer than 5 respondents. A withheld group is listed
with its reason and no figures. Response rates need the invited counts an admin gave: the
total's against ``invitations.total``, an agency's against its own count (unscoped tables
only; invitations are not counted per provider).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.domain.survey import SurveyResponse, SurveyWave
from shared.domain.survey_disclosure import (
    Classification,
    Dimension,
    Disclosure,
    GroupKey,
    WithheldReason,
    disclose,
    group_key,
)

MEAN_DECIMALS = 4


@dataclass(frozen=True)
class GroupResult:
    """One group: its value (None for a total) and, unless ``withheld``, its figures."""

    key: GroupKey
    withheld: WithheldReason | None
    respondents: int | None
    response_rate: float | None
    item_means: Mapping[str, float]


@dataclass(frozen=True)
class WaveResults:
    """The total (of the wave, or of ``provider``'s responses) and the ``group_by`` groups."""

    total: GroupResult
    groups: tuple[GroupResult, ...]


def classification(response: SurveyResponse) -> Classification:
    """What the results group a response by: (role, agency, function, provider or None)."""
    return (response.role, response.agency, response.function, response.provider)


def wave_disclosure(responses: Sequence[SurveyResponse]) -> Disclosure:
    """The disclosure decision for a wave's responses (all of them, whatever is asked)."""
    return disclose([classification(r) for r in responses])


def wave_results(
    wave: SurveyWave,
    responses: Sequence[SurveyResponse],
    disclosure: Disclosure,
    *,
    group_by: Dimension | None = None,
    provider: str | None = None,
) -> WaveResults:
    """The total and groups asked for; groups in value order, only groups with respondents.

    ``provider``: restrict to that provider's responses (its total, and its groups by role,
    agency or function; by provider it is its one group). ``disclosure`` must be
    ``wave_disclosure(responses)``.
    """
    scoped = [r for r in responses if provider is None or r.provider == provider]
    total_key = group_key(provider, None, None)
    values: set[str] = set()
    if group_by is not None:
        values = {v for r in scoped if (v := classification(r)[group_by.position]) is not None}
    keys = sorted((group_key(provider, group_by, v) for v in values), key=lambda k: k.order)
    total = _result(total_key, wave, scoped, disclosure)
    return WaveResults(
        total, tuple(_result(k, wave, scoped, disclosure) for k in dict.fromkeys(keys))
    )


def _members(key: GroupKey, responses: Sequence[SurveyResponse]) -> list[SurveyResponse]:
    if key.dimension is None:
        return list(responses)
    return [r for r in responses if classification(r)[key.dimension.position] == key.value]


def _result(
    key: GroupKey, wave: SurveyWave, scoped: Sequence[SurveyResponse], disclosure: Disclosure
) -> GroupResult:
    if not disclosure.published(key):
        reason = disclosure.withheld.get(key, WithheldReason.TOO_FEW)
        return GroupResult(key, reason, None, None, {})
    members = _members(key, scoped)
    means = {
        item: round(sum(r.ratings[item] for r in members) / len(members), MEAN_DECIMALS)
        for item in wave.item_ids
    }
    return GroupResult(key, None, len(members), _response_rate(key, wave, len(members)), means)


def _response_rate(key: GroupKey, wave: SurveyWave, respondents: int) -> float | None:
    invited = wave.invitations
    if invited is None or key.scope is not None:
        return None
    if key.dimension is None:
        return round(respondents / invited.total, MEAN_DECIMALS)
    if key.dimension is Dimension.AGENCY and key.value in invited.by_agency:
        return round(respondents / invited.by_agency[key.value], MEAN_DECIMALS)
    return None
