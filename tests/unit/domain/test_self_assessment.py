"""The self-assessment's pure core: the element catalog, rating checks, the lifecycle and the
results (tables and properties)."""

from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.provider_tools.assessment_store import load_element_catalog
from shared.domain.self_assessment import (
    Action,
    Decision,
    ElementCatalog,
    Rating,
    SelfAssessment,
    SelfAssessmentRefusedError,
    Status,
    check_ratings,
    event_id,
    event_occurred_at,
    event_value,
    results,
    review,
    save_draft,
    submit,
)

CATALOG = load_element_catalog()
AT = datetime(2024, 5, 15, 12, tzinfo=UTC)
LATER = datetime(2024, 6, 1, 9, tzinfo=UTC)
PROVIDER = "doi-ibc"


def full(rating: int = 4) -> list[Rating]:
    return [
        Rating(element=e.id, rating=rating, evidence="FY report p. 3") for e in CATALOG.elements
    ]


def submitted(ratings: list[Rating] | None = None) -> SelfAssessment:
    return submit(
        None,
        CATALOG,
        provider=PROVIDER,
        fiscal_year=2024,
        ratings=ratings or full(),
        by="prov",
        at=AT,
    )


def codes(error: pytest.ExceptionInfo[SelfAssessmentRefusedError]) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in error.value.problems]


def test_the_shipped_catalog_has_five_categories_of_about_25_one_line_elements() -> None:
    assert [c.id for c in CATALOG.categories] == [
        "financial",
        "organizational",
        "operational",
        "program-management",
        "technology",
    ]
    assert 20 <= len(CATALOG.elements) <= 30
    assert all(CATALOG.elements_of(c.id) for c in CATALOG.categories)
    assert all("\n" not in e.definition and len(e.definition) < 200 for e in CATALOG.elements)
    assert CATALOG.version == "1.0"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["elements"].append(dict(d["elements"][0])), "duplicate element id"),
        (lambda d: d["elements"][0].update(category="finance"), "unknown category 'finance'"),
        (lambda d: d["categories"].append({"id": "x", "name": "X"}), "category 'x' has no"),
    ],
)
def test_a_broken_catalog_is_refused_with_the_reason(change: object, message: str) -> None:
    document = CATALOG.model_dump(mode="json")
    document["elements"] = [dict(e) for e in document["elements"]]
    change(document)  # type: ignore[operator]
    with pytest.raises(ValueError, match=message):
        ElementCatalog.model_validate(document)


@pytest.mark.parametrize(
    ("ratings", "complete", "expected"),
    [
        ([Rating(element="cost-model", rating=3)], False, []),
        (
            [Rating(element="cost-model", rating=0)],
            False,
            [("ratings[0].rating", "rating_out_of_range")],
        ),
        (
            [Rating(element="cost-model", rating=6)],
            False,
            [("ratings[0].rating", "rating_out_of_range")],
        ),
        (
            [Rating(element="cost-modl", rating=3)],
            False,
            [("ratings[0].element", "unknown_element")],
        ),
        (
            [Rating(element="cost-model", rating=3), Rating(element="cost-model", rating=4)],
            False,
            [("ratings[1].element", "duplicate_element")],
        ),
        (
            [Rating(element="cost-model", rating=3, evidence="x" * 2001)],
            False,
            [("ratings[0].evidence", "evidence_too_long")],
        ),
        (
            [Rating(element="cost-model", rating=3)],
            True,
            [("ratings[0].evidence", "evidence_missing"), ("ratings", "elements_missing")],
        ),
    ],
)
def test_rating_checks(
    ratings: list[Rating], complete: bool, expected: list[tuple[str, str]]
) -> None:
    assert [
        (p.field, p.code) for p in check_ratings(CATALOG, ratings, complete=complete)
    ] == expected


def test_messages_name_the_fix() -> None:
    [out_of_range] = check_ratings(
        CATALOG, [Rating(element="automation", rating=7)], complete=False
    )
    assert "rating 7 for element 'automation' is outside 1..5" in out_of_range.message
    assert "whole number from 1" in out_of_range.message
    [unknown] = check_ratings(CATALOG, [Rating(element="cost-modle", rating=3)], complete=False)
    assert "did you mean 'cost-model'?" in unknown.message


def test_a_draft_is_saved_then_submitted_then_accepted_with_full_history() -> None:
    draft = save_draft(
        None,
        CATALOG,
        provider=PROVIDER,
        fiscal_year=2024,
        ratings=full()[:3],
        by="prov",
        at=AT,
    )
    assert (draft.status, draft.revision, draft.id) == (Status.DRAFT, 1, "doi-ibc|FY2024")
    sent = submit(
        draft, CATALOG, provider=PROVIDER, fiscal_year=2024, ratings=full(), by="prov", at=AT
    )
    accepted = review(sent, CATALOG, decision=Decision.ACCEPT, comments=None, by="rev", at=LATER)
    assert accepted.status is Status.ACCEPTED
    assert [(h.revision, h.action, h.by) for h in accepted.history] == [
        (1, Action.SAVED, "prov"),
        (2, Action.SUBMITTED, "prov"),
        (3, Action.ACCEPTED, "rev"),
    ]
    assert (accepted.reviewed_at, accepted.reviewed_by, accepted.submitted_at) == (LATER, "rev", AT)


def test_submit_without_ratings_submits_the_saved_draft() -> None:
    draft = save_draft(
        None, CATALOG, provider=PROVIDER, fiscal_year=2024, ratings=full(2), by="p", at=AT
    )
    sent = submit(draft, CATALOG, provider=PROVIDER, fiscal_year=2024, ratings=None, by="p", at=AT)
    assert sent.ratings == draft.ratings
    assert sent.status is Status.SUBMITTED


def test_a_returned_assessment_can_be_edited_and_resubmitted() -> None:
    returned = review(
        submitted(), CATALOG, decision=Decision.RETURN, comments="add evidence", by="r", at=LATER
    )
    assert (returned.status, returned.review_comments) == (Status.RETURNED, "add evidence")
    edited = save_draft(
        returned, CATALOG, provider=PROVIDER, fiscal_year=2024, ratings=full(3), by="p", at=LATER
    )
    again = submit(
        edited, CATALOG, provider=PROVIDER, fiscal_year=2024, ratings=None, by="p", at=LATER
    )
    assert again.status is Status.SUBMITTED
    assert again.revision == 4


def test_a_second_submission_while_under_review_is_refused_naming_the_fix() -> None:
    with pytest.raises(SelfAssessmentRefusedError) as refused:
        submit(
            submitted(),
            CATALOG,
            provider=PROVIDER,
            fiscal_year=2024,
            ratings=full(),
            by="p",
            at=LATER,
        )
    assert codes(refused) == [("provider", "under_review")]
    assert "under review since 2024-05-15T12:00:00+00:00" in str(refused.value)
    assert "ask the reviewer to return it" in str(refused.value)
    with pytest.raises(SelfAssessmentRefusedError):
        save_draft(
            submitted(), CATALOG, provider=PROVIDER, fiscal_year=2024, ratings=[], by="p", at=LATER
        )


def test_an_accepted_assessment_is_final() -> None:
    accepted = review(
        submitted(), CATALOG, decision=Decision.ACCEPT, comments=None, by="r", at=LATER
    )
    for step in (
        lambda: submit(
            accepted, CATALOG, provider=PROVIDER, fiscal_year=2024, ratings=full(), by="p", at=LATER
        ),
        lambda: save_draft(
            accepted, CATALOG, provider=PROVIDER, fiscal_year=2024, ratings=[], by="p", at=LATER
        ),
        lambda: review(accepted, CATALOG, decision=Decision.RETURN, comments="x", by="r", at=LATER),
    ):
        with pytest.raises(SelfAssessmentRefusedError):
            step()


def test_returning_needs_comments_and_only_a_submission_is_reviewed() -> None:
    with pytest.raises(SelfAssessmentRefusedError) as refused:
        review(submitted(), CATALOG, decision=Decision.RETURN, comments="  ", by="r", at=LATER)
    assert codes(refused) == [("comments", "comments_required")]
    draft = save_draft(
        None, CATALOG, provider=PROVIDER, fiscal_year=2024, ratings=[], by="p", at=AT
    )
    with pytest.raises(SelfAssessmentRefusedError) as refused:
        review(draft, CATALOG, decision=Decision.ACCEPT, comments=None, by="r", at=LATER)
    assert codes(refused) == [("id", "not_under_review")]


@pytest.mark.parametrize(
    ("fiscal_year", "ok"), [(2021, False), (2022, True), (2024, True), (2025, False)]
)
def test_the_fiscal_year_is_from_fy2022_to_the_current_one(fiscal_year: int, ok: bool) -> None:
    def step() -> SelfAssessment:
        return save_draft(
            None, CATALOG, provider=PROVIDER, fiscal_year=fiscal_year, ratings=[], by="p", at=AT
        )

    if ok:
        assert step().fiscal_year == fiscal_year
    else:
        with pytest.raises(SelfAssessmentRefusedError, match="from 2022 to the current FY2024"):
            step()


def test_results_worked_example() -> None:
    """Financial 5 elements rated 5,5,4,4,2 → 4.0; every other category all 3 → 3.0;
    overall (4 + 3 + 3 + 3 + 3) / 5 = 3.2."""
    ratings = []
    for category in CATALOG.categories:
        values = [5, 5, 4, 4, 2] if category.id == "financial" else [3] * 5
        ratings += [
            Rating(element=e.id, rating=v)
            for e, v in zip(CATALOG.elements_of(category.id), values, strict=True)
        ]
    found = results(CATALOG, ratings)
    assert found.categories["financial"] == 4.0
    assert found.overall == pytest.approx(3.2)
    assert results(CATALOG, ratings[:5]).overall is None  # four categories unrated


def test_the_owed_event_is_dated_inside_its_fiscal_year() -> None:
    assert event_id("doi-ibc", 2024) == "self-assessment:doi-ibc:FY2024"
    assert event_occurred_at(2024, AT) == AT
    after = datetime(2024, 11, 2, tzinfo=UTC)  # FY2025 already
    assert event_occurred_at(2024, after) == datetime(2024, 9, 30, 12, tzinfo=UTC)
    assert event_value(10 / 3) == 3.3333


ratings_strategy = st.lists(
    st.integers(1, 5), min_size=len(CATALOG.elements), max_size=len(CATALOG.elements)
)


@settings(max_examples=200, deadline=None)
@given(ratings_strategy, st.randoms(use_true_random=False))
def test_overall_is_the_exact_mean_of_category_means_whatever_the_order(
    values: list[int], rnd: object
) -> None:
    ratings = [
        Rating(element=e.id, rating=v) for e, v in zip(CATALOG.elements, values, strict=True)
    ]
    shuffled = list(ratings)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    found = results(CATALOG, shuffled)
    exact = sum(
        (
            Fraction(
                sum(r.rating for r in ratings if CATALOG.category_of[r.element] == c.id),
                len(CATALOG.elements_of(c.id)),
            )
            for c in CATALOG.categories
        ),
        Fraction(0),
    ) / len(CATALOG.categories)
    assert found.overall is not None
    assert abs(Fraction(found.overall) - exact) < Fraction(1, 10**9)
    assert 1 <= event_value(found.overall) <= 5


steps = st.sampled_from(["save", "submit", "accept", "return"])


@settings(max_examples=300, deadline=None)
@given(st.lists(steps, max_size=12))
def test_any_sequence_of_steps_keeps_the_lifecycle_rules(sequence: list[str]) -> None:
    """Whatever is tried: a refused step changes nothing, an accepted one is final, the
    revision counts the history, and only ACCEPTED follows a SUBMITTED via accept."""
    state: SelfAssessment | None = None
    for name in sequence:
        before = state
        try:
            if name == "save":
                state = save_draft(
                    state,
                    CATALOG,
                    provider=PROVIDER,
                    fiscal_year=2024,
                    ratings=full(2)[:4],
                    by="p",
                    at=AT,
                )
            elif name == "submit":
                state = submit(
                    state,
                    CATALOG,
                    provider=PROVIDER,
                    fiscal_year=2024,
                    ratings=full(),
                    by="p",
                    at=AT,
                )
            elif state is not None:
                decision = Decision.ACCEPT if name == "accept" else Decision.RETURN
                state = review(state, CATALOG, decision=decision, comments="c", by="r", at=AT)
        except SelfAssessmentRefusedError:
            assert state is before
            continue
        assert before is None or before.status is not Status.ACCEPTED
        if state is not None:
            assert state.revision == len(state.history)
            if state.status is Status.ACCEPTED:
                assert before is not None
                assert before.status is Status.SUBMITTED
