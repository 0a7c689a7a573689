"""The reviews simulator's pure parts: which quarters it reviews, what its meetings decide
and which events it waits for."""

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from qsmo_client.simulator.reviews_flow import (
    MAX_DECISIONS,
    Quarter,
    decisions_for,
    development_lists,
    ended_quarters,
    expected_events,
)
from shared.catalog import load_catalog


@pytest.mark.parametrize(
    ("now", "wanted"),
    [
        # 1 December 2026 is in FY2027 Q1: the four before it are FY2026's.
        (datetime(2026, 12, 1, tzinfo=UTC), [(2026, 1), (2026, 2), (2026, 3), (2026, 4)]),
        # The first instant of a quarter: the quarter before has just ended.
        (datetime(2027, 1, 1, tzinfo=UTC), [(2026, 2), (2026, 3), (2026, 4), (2027, 1)]),
        (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), [(2026, 1), (2026, 2), (2026, 3), (2026, 4)]),
    ],
)
def test_the_last_ended_quarters_oldest_first(now: datetime, wanted: list[tuple[int, int]]) -> None:
    assert ended_quarters(now, 4) == [Quarter(fy, q) for fy, q in wanted]


def review(statuses: list[str], meeting: str = "2026-10-22") -> dict[str, Any]:
    measures = [
        {"id": f"m{i}", "name": f"Measure {i}", "status": s, "active": True}
        for i, s in enumerate(statuses)
    ]
    measures.append({"id": "off", "name": "Inactive", "status": "RED", "active": False})
    return {"meetingDate": meeting, "scorecard": {"dimensions": [{"measures": measures}]}}


def test_a_meeting_decides_to_recover_each_red_measure_up_to_three() -> None:
    decided = decisions_for(review(["RED", "GREEN", "RED", "AMBER", "RED", "RED"]), "Grants")
    assert [d["text"] for d in decided] == [
        "Recovery plan for Measure 0",
        "Recovery plan for Measure 2",
        "Recovery plan for Measure 4",
    ]
    assert len(decided) == MAX_DECISIONS
    assert {d["dueDate"] for d in decided} == {"2027-01-20"}, "90 days after the meeting"


def test_a_meeting_without_red_measures_keeps_the_course() -> None:
    decided = decisions_for(review(["GREEN", "AMBER"]), "Grants")
    assert decided == [
        {"text": "Keep the course: Grants has no RED measure", "owner": None, "dueDate": None}
    ]
    assert decisions_for({"meetingDate": "2026-10-22", "scorecard": None}, "Grants")


def test_the_expected_events_are_those_of_the_reviewed_years_and_do_not_depend_on_the_range() -> (
    None
):
    catalog = load_catalog()
    four = expected_events(2022, catalog, ended_quarters(datetime(2026, 12, 1, tzinfo=UTC), 4))
    assert set(four) == {(q, 2026) for q in catalog.qsmo_ids}
    assert all(count > 50 for count in four.values())
    # The first three quarters' events are a part of the four quarters'.
    three = expected_events(2022, catalog, [Quarter(2026, 1), Quarter(2026, 2), Quarter(2026, 3)])
    assert all(three[k] < four[k] for k in four)
    assert isinstance(three, Counter)


def test_the_development_lists_reach_omb_osspi_and_each_qsmos_leadership() -> None:
    catalog = load_catalog()
    lists = development_lists(catalog)
    by_id = {entry["id"]: entry for entry in lists}
    assert len(by_id) == len(lists)
    assert (by_id["dev-omb"]["qsmo"], by_id["dev-omb"]["attach"]) == (None, True)
    assert (by_id["dev-osspi"]["qsmo"], by_id["dev-osspi"]["attach"]) == (None, False)
    leadership = {e["qsmo"]: e for e in lists if e["kind"] == "QSMO_LEADERSHIP"}
    assert sorted(leadership) == sorted(catalog.qsmo_ids)
    for entry in lists:
        for member in entry["members"]:
            assert member["address"].endswith(".example.gov")
