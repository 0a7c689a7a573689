"""A data call's versions, their review and the diff between them (pure)."""

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.catalog.data_call import example_sections, load_data_call_schema
from shared.domain.data_call_diff import ChangeKind, SectionChange, diff_sections
from shared.domain.data_call_versions import (
    MAX_TEXT,
    MAX_VERSIONS,
    DataCall,
    DataCallRefused,
    DataCallStatus,
    Decision,
    RefusalCode,
    SubmissionSource,
    data_call_id,
    fiscal_year_refusal,
    review,
    submit,
)

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FY = 2026
SCHEMA = load_data_call_schema()


def submitted(call: DataCall | None, reason: str | None = None, **changes: Any) -> DataCall:
    sections = {**example_sections(FY), **changes}
    return submit(
        call,
        provider="doi-ibc",
        fiscal_year=FY,
        sections=sections,
        template_version="1.0",
        by="t-prov-doi-ibc",
        at=AT,
        reason=reason,
        source=SubmissionSource.GRAPHQL,
    )


def reviewed(call: DataCall, decision: Decision, comments: str | None = None) -> DataCall:
    return review(call, decision=decision, comments=comments, by="t-admin", at=AT)


def test_the_first_submission_is_version_1_under_review() -> None:
    call = submitted(None)
    assert call.id == data_call_id("doi-ibc", FY) == "doi-ibc|FY2026"
    assert (call.revision, call.status, call.latest.number, call.accepted) == (
        1,
        DataCallStatus.SUBMITTED,
        1,
        None,
    )
    assert call.latest.submitted_by == "t-prov-doi-ibc"
    assert call.latest.reason is None


def test_a_second_submission_while_one_is_under_review_is_refused() -> None:
    with pytest.raises(DataCallRefused) as refused:
        submitted(submitted(None), reason="typo")
    assert refused.value.code is RefusalCode.UNDER_REVIEW
    assert "under review since 2026-03-01 12:00 UTC" in refused.value.message
    assert "ask the reviewer to return it" in refused.value.message


def test_a_returned_version_is_corrected_with_a_reason_and_keeps_the_trail() -> None:
    returned = reviewed(submitted(None), Decision.RETURN, "staffing misses payroll")
    with pytest.raises(DataCallRefused) as refused:
        submitted(returned)
    assert (refused.value.code, refused.value.field) == (RefusalCode.REASON_REQUIRED, "reason")
    corrected = submitted(returned, reason="  added payroll staff  ")
    assert [v.status for v in corrected.versions] == [
        DataCallStatus.RETURNED,
        DataCallStatus.SUBMITTED,
    ]
    assert corrected.versions[0].review is not None
    assert corrected.versions[0].review.comments == "staffing misses payroll"
    assert corrected.latest.reason == "added payroll staff"
    assert corrected.revision == 3


def test_returning_needs_comments_and_accepting_does_not() -> None:
    call = submitted(None)
    with pytest.raises(DataCallRefused) as refused:
        reviewed(call, Decision.RETURN, "   ")
    assert refused.value.code is RefusalCode.COMMENTS_REQUIRED
    accepted = reviewed(call, Decision.ACCEPT)
    assert accepted.accepted == accepted.latest
    assert accepted.latest.review is not None
    assert accepted.latest.review.by == "t-admin"


def test_nothing_to_review_once_reviewed_and_a_stale_version_is_named() -> None:
    call = submitted(None)
    with pytest.raises(DataCallRefused) as stale:
        review(call, decision=Decision.ACCEPT, comments=None, by="a", at=AT, version=2)
    assert stale.value.code is RefusalCode.NOT_THE_VERSION_UNDER_REVIEW
    accepted = reviewed(call, Decision.ACCEPT)
    with pytest.raises(DataCallRefused) as again:
        reviewed(accepted, Decision.RETURN, "late")
    assert again.value.code is RefusalCode.NOT_UNDER_REVIEW
    assert "version 1 is accepted already" in again.value.message


def test_an_accepted_version_stays_the_accepted_one_until_a_correction_is_accepted() -> None:
    first = reviewed(submitted(None), Decision.ACCEPT)
    correction = submitted(first, reason="restated budget")
    assert correction.status is DataCallStatus.SUBMITTED
    assert correction.accepted is not None
    assert correction.accepted.number == 1
    returned = reviewed(correction, Decision.RETURN, "no")
    assert returned.accepted is not None
    assert returned.accepted.number == 1
    again = reviewed(submitted(returned, reason="fixed"), Decision.ACCEPT)
    assert again.accepted is not None
    assert again.accepted.number == 3


def test_too_long_text_and_too_many_versions_are_refused() -> None:
    with pytest.raises(DataCallRefused) as long:
        submitted(reviewed(submitted(None), Decision.ACCEPT), reason="x" * (MAX_TEXT + 1))
    assert (long.value.code, long.value.field) == (RefusalCode.TEXT_TOO_LONG, "reason")
    call = submitted(None)
    for _ in range(MAX_VERSIONS - 1):
        call = submitted(reviewed(call, Decision.ACCEPT), reason="again")
    with pytest.raises(DataCallRefused) as many:
        submitted(reviewed(call, Decision.ACCEPT), reason="one more")
    assert many.value.code is RefusalCode.TOO_MANY_VERSIONS


@pytest.mark.parametrize(
    ("fiscal_year", "allowed"),
    [(2021, False), (2022, True), (2026, True), (2027, True), (2028, False)],
)
def test_fiscal_years_from_2022_to_the_next_one(fiscal_year: int, allowed: bool) -> None:
    refusal = fiscal_year_refusal(fiscal_year, AT)  # AT is in FY2026
    assert (refusal is None) is allowed
    if refusal:
        assert "from 2022 (the framework's first) to 2027" in refusal


STEPS = st.lists(st.sampled_from(["submit", "accept", "return"]), max_size=12)


@settings(max_examples=200, deadline=None)
@given(STEPS)
def test_any_sequence_of_steps_keeps_the_lifecycle_rules(steps: list[str]) -> None:
    call: DataCall | None = None
    accepted_numbers: list[int] = []
    for step in steps:
        before = call
        try:
            if step == "submit":
                call = submitted(call, reason=None if call is None else "correction")
            elif call is not None:
                decision = Decision.ACCEPT if step == "accept" else Decision.RETURN
                call = reviewed(call, decision, "comments")
                if decision is Decision.ACCEPT:
                    accepted_numbers.append(call.latest.number)
        except DataCallRefused:
            assert call is before  # a refusal changes nothing
            continue
    if call is None:
        return
    numbers = [v.number for v in call.versions]
    assert numbers == list(range(1, len(numbers) + 1))
    under_review = [v for v in call.versions if v.status is DataCallStatus.SUBMITTED]
    assert under_review in ([], [call.latest])  # only the latest may be under review
    expected = accepted_numbers[-1] if accepted_numbers else None
    assert (call.accepted.number if call.accepted else None) == expected
    assert all(v.reason for v in call.versions[1:])  # every correction says why


def test_diff_names_each_changed_field_and_each_added_or_removed_row() -> None:
    before = example_sections(FY)
    after = copy.deepcopy(before)
    after["demographics"]["customer_count"] = 21_000
    after["staffing"][1]["federal_fte"] = 27
    after["metrics"].pop(0)
    after["budget"].append({"fiscal_year": FY + 1, "operating_cost_usd": 1, "revenue_usd": 2})
    changes = diff_sections(SCHEMA, before, after)
    assert changes == [
        SectionChange("demographics", None, "customer_count", ChangeKind.CHANGED, 20_000, 21_000),
        SectionChange(
            "metrics", "payroll-accuracy", None, ChangeKind.REMOVED, before["metrics"][0], None
        ),
        SectionChange("staffing", "payroll", "federal_fte", ChangeKind.CHANGED, 25.5, 27),
        SectionChange("budget", str(FY + 1), None, ChangeKind.ADDED, None, after["budget"][-1]),
    ]
    assert changes[2].describe() == "staffing 'payroll' federal_fte: 25.5 → 27"
    assert changes[1].describe() == "metrics 'payroll-accuracy': row removed"


def test_an_optional_field_left_out_is_a_removal() -> None:
    before = example_sections(FY)
    after = copy.deepcopy(before)
    del after["systems"][0]["end_of_support"]
    (change,) = diff_sections(SCHEMA, before, after)
    assert (change.kind, change.after, change.describe()) == (
        ChangeKind.REMOVED,
        None,
        "systems 'Core financials' end_of_support: 2030-09-30 → (empty)",
    )


@settings(max_examples=50, deadline=None)
@given(st.permutations(range(2)), st.permutations(range(2)))
def test_reordering_rows_changes_nothing(staffing: list[int], budget: list[int]) -> None:
    before = example_sections(FY)
    after = copy.deepcopy(before)
    after["staffing"] = [before["staffing"][i] for i in staffing]
    after["budget"] = [before["budget"][i] for i in budget]
    assert diff_sections(SCHEMA, before, after) == []
    assert diff_sections(SCHEMA, after, after) == []
