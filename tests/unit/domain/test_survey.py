"""The survey's pure core: wave rules, response rows, response ids, owed events, results."""

from datetime import UTC, date, datetime

import pytest

from gateway.provider_tools.survey_store import load_survey_catalog
from shared.catalog import load_catalog
from shared.domain.providers import ProviderRegistry
from shared.domain.survey import (
    SurveyItem,
    SurveyRejected,
    SurveyResponse,
    WaveStatus,
    close_wave,
    event_time,
    new_wave,
    satisfaction_events,
    set_invitations,
    wave_id,
)
from shared.domain.survey_disclosure import TOTAL, Dimension, GroupKey, WithheldReason, disclose
from shared.domain.survey_responses import ResponseRules, check_columns, response_from_row
from shared.domain.survey_results import wave_disclosure, wave_results

NOW = datetime(2026, 1, 10, 9, tzinfo=UTC)
OVERALL = SurveyItem(id="overall", text="Overall?", overall=True)
EASE = SurveyItem(id="ease", text="Easy to work with?")
CATALOG = load_catalog()
RULES = ResponseRules(
    load_survey_catalog(), {a.id for a in CATALOG.agencies}, ProviderRegistry(CATALOG.providers)
)


WAVE = new_wave(2026, "Annual survey", date(2026, 1, 5), date(2026, 2, 5), [OVERALL, EASE], now=NOW)


def row(**cells: str) -> dict[str, str | None]:
    base: dict[str, str | None] = {
        "role": "manager",
        "agency": "DOI",
        "function": "payroll",
        "provider": "usda-nfc",
        "overall": "4",
        "ease": "3",
    }
    return {**base, **cells}


def problems(error: pytest.ExceptionInfo[SurveyRejected]) -> list[tuple[str, int | None]]:
    return [(p.field, p.row) for p in error.value.problems]


def test_a_wave_gets_a_readable_id_and_starts_open() -> None:
    assert WAVE.id == "fy2026-annual-survey" == wave_id(2026, "Annual survey")
    assert WAVE.status is WaveStatus.OPEN
    assert WAVE.overall_item == OVERALL


@pytest.mark.parametrize(
    ("closes_on", "items", "field"),
    [
        (date(2026, 10, 1), [OVERALL], "closesOn"),  # FY2027
        (date(2025, 9, 30), [OVERALL], "closesOn"),  # FY2025
        (date(2026, 2, 5), [EASE], "items"),  # no overall item
        (date(2026, 2, 5), [OVERALL, OVERALL], "items"),  # duplicate ids
        (date(2026, 2, 5), [], "items"),
        (date(2026, 1, 1), [OVERALL], "opensOn"),  # closes before it opens
    ],
)
def test_wave_rules(closes_on: date, items: list[SurveyItem], field: str) -> None:
    with pytest.raises(SurveyRejected) as refused:
        new_wave(2026, "W", date(2026, 1, 5), closes_on, items, now=NOW)
    assert field in [f for f, _ in problems(refused)]


def test_invitations_are_checked() -> None:
    assert set_invitations(WAVE, 100, {"DOI": 40}).invitations is not None
    with pytest.raises(SurveyRejected, match="add up to more than 10"):
        set_invitations(WAVE, 10, {"DOI": 8, "VA": 5})


def test_a_row_becomes_a_response_without_identity() -> None:
    response = response_from_row(row(comment=" Fast payroll fixes "), WAVE, RULES)
    assert response.ratings == {"overall": 4, "ease": 3}
    assert (response.role, response.agency, response.provider) == ("manager", "DOI", "usda-nfc")
    assert response.comment == "Fast payroll fixes"
    assert set(SurveyResponse.model_fields) == {
        "id",
        "wave",
        "role",
        "agency",
        "function",
        "provider",
        "ratings",
        "comment",
    }


def test_cells_are_normalized_before_the_id_is_derived() -> None:
    a = response_from_row(row(role=" Manager ", agency="doi", overall="4.0"), WAVE, RULES)
    b = response_from_row(row(), WAVE, RULES)
    assert a.id == b.id
    assert a.id.startswith("h-")
    assert response_from_row(row(), WAVE, RULES, occurrence=1).id != b.id


def test_a_response_id_column_is_the_id() -> None:
    assert response_from_row(row(response_id="R_12ab"), WAVE, RULES).id == "R_12ab"
    with pytest.raises(SurveyRejected, match="not a valid id"):
        response_from_row(row(response_id="has space"), WAVE, RULES)


@pytest.mark.parametrize(
    ("cells", "field", "fix"),
    [
        ({"overall": "6"}, "overall", "whole number 1 to 5"),
        ({"overall": "0"}, "overall", "whole number 1 to 5"),
        ({"ease": "good"}, "ease", "whole number 1 to 5"),
        ({"ease": ""}, "ease", "whole number 1 to 5"),
        ({"role": "intern"}, "role", "executive"),
        ({"agency": "XYZ"}, "agency", "DOI"),
        ({"function": "travel"}, "function", "payroll"),
        ({"provider": "usda-nfcc"}, "provider", "did you mean 'usda-nfc'"),
        ({"provider": "hhs-grantsolutions"}, "provider", "does not serve payroll"),
    ],
)
def test_bad_cells_name_row_column_and_fix(cells: dict[str, str], field: str, fix: str) -> None:
    with pytest.raises(SurveyRejected) as refused:
        response_from_row(row(**cells), WAVE, RULES, line=7)
    assert problems(refused) == [(field, 7)]
    assert fix in str(refused.value)
    assert f"row 7, column '{field}'" in str(refused.value)


def test_columns_unknown_missing_and_repeated() -> None:
    found = check_columns(["role", "agency", "function", "overall", "ease", "q9"], WAVE)
    assert [p.field for p in found] == ["q9"]
    assert "known columns are role, agency, function, provider, comment, response_id" in (
        found[0].message
    )
    assert [p.field for p in check_columns(["role", "agency", "function", "overall"], WAVE)] == [
        "ease"
    ]
    assert check_columns(["role", "role", "agency", "function", "overall", "ease"], WAVE)


def test_close_owes_one_event_per_response_dated_at_the_close() -> None:
    responses = [
        response_from_row(row(), WAVE, RULES),
        response_from_row(row(function="grants", provider="", overall="2"), WAVE, RULES),
    ]
    closed = close_wave(WAVE, datetime(2026, 3, 1, tzinfo=UTC))
    events = satisfaction_events(closed, responses, RULES.catalog)
    assert sorted((e.qsmo, e.value, e.provider) for e in events) == [
        ("grants-management", 2.0, None),
        ("human-resources", 4.0, "usda-nfc"),
    ]
    assert {e.event_id for e in events} == {f"survey:{WAVE.id}:{r.id}" for r in responses}
    assert {e.occurred_at for e in events} == {datetime(2026, 2, 5, 12, tzinfo=UTC)}
    assert {e.measure for e in events} == {"customer-satisfaction"}
    with pytest.raises(SurveyRejected, match="closed at"):
        close_wave(closed, NOW)


def test_closed_early_the_events_are_dated_at_the_close() -> None:
    early = datetime(2026, 1, 20, 8, tzinfo=UTC)
    assert event_time(close_wave(WAVE, early)) == early
    assert WAVE.due_to_close(datetime(2026, 2, 6, tzinfo=UTC))
    assert not WAVE.due_to_close(datetime(2026, 2, 5, 23, 59, tzinfo=UTC))


def test_a_withheld_group_cannot_be_subtracted_from_the_total() -> None:
    """3 executives, 6 managers: publishing the total (9) and managers (6) gives away the
    executives, so the managers are withheld too (the total, which readers need most, stays)."""
    people = [("executive", "DOI", "payroll", None)] * 3 + [("manager", "DOI", "payroll", None)] * 6
    decision = disclose(people)
    assert decision.withheld[GroupKey(None, Dimension.ROLE, "executive")] is WithheldReason.TOO_FEW
    manager = GroupKey(None, Dimension.ROLE, "manager")
    assert decision.withheld[manager] is WithheldReason.COMPLEMENTARY
    assert decision.published(TOTAL)


def test_results_by_agency_with_response_rates() -> None:
    responses = [
        response_from_row(row(agency=a, overall=str(r)), WAVE, RULES, occurrence=i)
        for i in range(5)
        for a, r in (("DOI", 4), ("VA", 2))
    ] + [response_from_row(row(agency="GSA"), WAVE, RULES, occurrence=i) for i in range(2)]
    closed = set_invitations(close_wave(WAVE, NOW), 40, {"DOI": 10, "VA": 20})
    results = wave_results(closed, responses, wave_disclosure(responses), group_by=Dimension.AGENCY)
    shown = {g.key.value: (g.respondents, g.response_rate, g.withheld) for g in results.groups}
    assert shown["VA"] == (5, 0.25, None)
    assert shown["GSA"] == (None, None, WithheldReason.TOO_FEW)
    # 12 = 5 + 5 + 2: with the total, DOI would give GSA's two away, so DOI is withheld too
    assert shown["DOI"] == (None, None, WithheldReason.COMPLEMENTARY)
    assert (results.total.respondents, results.total.response_rate) == (12, 12 / 40)
    va = next(g for g in results.groups if g.key.value == "VA")
    assert va.item_means == {"overall": 2.0, "ease": 3.0}
