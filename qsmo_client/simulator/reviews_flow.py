"""The steps of the quarterly reviews simulator (``reviews.py``), each through the gateway's
GraphQL API with a key: wait until the simulated history of the reviewed years is scored,
then play one review — create it, make it READY, hold its meeting — leaving alone whatever
step was already done, and wait for the packets."""

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from qsmo_client.simulator.history import generate_history
from qsmo_client.simulator.marketplace import Marketplace
from qsmo_client.simulator.provider_tools_api import ToolsApi, ToolsApiError
from shared.domain.catalog import Catalog
from shared.domain.fiscal import fiscal_quarter_of, fiscal_year_of
from shared.domain.reviews import previous_quarter, quarter_end, review_id

MEETING_AFTER = timedelta(days=21)
"""A quarter's review meets three weeks after the quarter ends."""
GOVERNMENT_PARTICIPANTS = ("OSSPI performance lead", "OMB examiner", "FMSC representative")
QSMO_PARTICIPANTS = ("QSMO program manager", "QSMO executive director", "OSSPI analyst")
MAX_DECISIONS = 3
FINISHED = {"DONE", "FAILED"}

EVENT_COUNTS = """query($fy: Int!) { scorecards(fiscalYear: $fy) {
  qsmoId measures { dataQuality { eventCount } } } }"""
REVIEW = """query($id: ID!) { review(id: $id) { id state meetingDate cutOff
  packet { status pages error }
  scorecard { dimensions { measures { id name status active } } } } }"""
CREATE = """mutation($fy: Int!, $q: Int!, $qsmo: ID, $meeting: Date!, $people: [String!]!) {
  createReview(fiscalYear: $fy, quarter: $q, qsmo: $qsmo, meetingDate: $meeting,
    participants: $people) { id state } }"""
MAKE_READY = "mutation($id: ID!) { makeReviewReady(id: $id) { id state } }"
HOLD = """mutation($id: ID!, $decisions: [ReviewDecisionInput!]!, $notes: String) {
  recordReviewMeeting(id: $id, decisions: $decisions, notes: $notes) { id state } }"""


LISTS = "{ stakeholderLists { id } }"
CREATE_LIST = """mutation($id: ID!, $name: String!, $kind: StakeholderListKind!, $qsmo: ID,
  $members: [StakeholderMemberInput!]!, $attach: Boolean!) {
  createStakeholderList(id: $id, name: $name, kind: $kind, qsmo: $qsmo, members: $members,
    attachPdf: $attach) { id } }"""


def development_lists(catalog: Catalog) -> list[dict[str, Any]]:
    """The development stakeholder lists (``example.gov`` addresses; the local SMTP sink of
    ``make up`` keeps what is sent to them): OMB (PDF attached) and OSSPI (a link) for every
    review, and each QSMO's leadership for its own."""
    lists: list[dict[str, Any]] = [
        {
            "id": "dev-omb",
            "name": "OMB Resource Management Office (development)",
            "kind": "OMB",
            "qsmo": None,
            "members": [{"name": "OMB examiner", "address": "examiner@omb.example.gov"}],
            "attach": True,
        },
        {
            "id": "dev-osspi",
            "name": "OSSPI performance team (development)",
            "kind": "OSSPI",
            "qsmo": None,
            "members": [
                {"name": "OSSPI performance lead", "address": "performance@gsa.example.gov"}
            ],
            "attach": False,
        },
    ]
    for qsmo in catalog.qsmos:
        lists.append(
            {
                "id": f"dev-{qsmo.id}-leadership",
                "name": f"{qsmo.name} leadership (development)",
                "kind": "QSMO_LEADERSHIP",
                "qsmo": qsmo.id,
                "members": [
                    {
                        "name": "QSMO executive director",
                        "address": f"director@{qsmo.id}.example.gov",
                    }
                ],
                "attach": True,
            }
        )
    return lists


def ensure_stakeholder_lists(api: ToolsApi, key: str, catalog: Catalog) -> list[str]:
    """Create the development lists that are missing; the ids created."""
    existing = {entry["id"] for entry in api.graphql(key, LISTS, {})["stakeholderLists"]}
    created = []
    for variables in development_lists(catalog):
        if variables["id"] not in existing:
            api.graphql(key, CREATE_LIST, variables)
            created.append(variables["id"])
    return created


class HistoryNotScoredError(Exception):
    """The reviewed years' simulated events were not all scored before the deadline."""


@dataclass(frozen=True)
class Quarter:
    fiscal_year: int
    quarter: int

    @property
    def label(self) -> str:
        return f"FY{self.fiscal_year} Q{self.quarter}"


def ended_quarters(now: datetime, count: int) -> list[Quarter]:
    """The last ``count`` fiscal quarters ended by ``now``, oldest first."""
    fiscal_year, quarter = previous_quarter(*fiscal_quarter_of(now))
    quarters = []
    for _ in range(count):
        quarters.append(Quarter(fiscal_year, quarter))
        fiscal_year, quarter = previous_quarter(fiscal_year, quarter)
    return quarters[::-1]


def expected_events(
    seed: int, catalog: Catalog, quarters: Sequence[Quarter]
) -> Counter[tuple[str, int]]:
    """Unique simulated events per (QSMO, fiscal year) that occurred from the first reviewed
    year's start to the last reviewed quarter's end: what the scorecards must count at least
    (the history generator draws each month on its own, so the range asked changes nothing)."""
    first = quarters[0].fiscal_year
    start = datetime(first - 1, 10, 1, tzinfo=UTC)
    last = quarters[-1]
    until = quarter_end(last.fiscal_year, last.quarter) - timedelta(microseconds=1)
    deliveries = generate_history(
        seed,
        catalog.qsmo_ids,
        start,
        until,
        catalog.framework(),
        Marketplace(seed, catalog.providers),
    )
    unique = {d.event.event_id: d.event for d in deliveries}
    return Counter(
        (e.qsmo, fiscal_year_of(datetime.fromisoformat(e.occurred_at))) for e in unique.values()
    )


def history_scored(api: ToolsApi, key: str, expected: Counter[tuple[str, int]]) -> bool:
    """Whether every QSMO's scorecard counts at least the expected events of each year."""
    for fiscal_year in sorted({fy for _, fy in expected}):
        cards = api.graphql(key, EVENT_COUNTS, {"fy": fiscal_year})["scorecards"]
        counted = {
            card["qsmoId"]: sum(m["dataQuality"]["eventCount"] for m in card["measures"])
            for card in cards
        }
        for (qsmo, year), wanted in expected.items():
            if year == fiscal_year and counted.get(qsmo, 0) < wanted:
                return False
    return True


def wait_for_history(
    api: ToolsApi,
    key: str,
    expected: Counter[tuple[str, int]],
    timeout_s: float,
    poll_s: float = 5.0,
) -> None:
    """Poll the scorecards until ``history_scored``; HistoryNotScoredError at the deadline."""
    deadline = time.monotonic() + timeout_s
    while not history_scored(api, key, expected):
        if time.monotonic() >= deadline:
            raise HistoryNotScoredError(
                f"the simulated history was not scored within {timeout_s:.0f} s: is the "
                "simulator running (make up starts it) and are measures and scorecard up?"
            )
        time.sleep(poll_s)


def read_review(api: ToolsApi, key: str, ident: str) -> dict[str, Any] | None:
    review: dict[str, Any] | None = api.graphql(key, REVIEW, {"id": ident})["review"]
    return review


def decisions_for(review: dict[str, Any], scope_name: str) -> list[dict[str, Any]]:
    """The meeting's decisions: recover each RED measure (at most three), else keep course."""
    red = [
        m
        for d in (review.get("scorecard") or {}).get("dimensions", [])
        for m in d["measures"]
        if m["active"] and m["status"] == "RED"
    ]
    due = (date.fromisoformat(review["meetingDate"]) + timedelta(days=90)).isoformat()
    decisions = [
        {
            "text": f"Recovery plan for {m['name']}",
            "owner": f"{scope_name} measure owner",
            "dueDate": due,
        }
        for m in red[:MAX_DECISIONS]
    ]
    return decisions or [
        {
            "text": f"Keep the course: {scope_name} has no RED measure",
            "owner": None,
            "dueDate": None,
        }
    ]


def play_review(
    api: ToolsApi, key: str, quarter: Quarter, qsmo: str | None, scope_name: str, now: datetime
) -> str:
    """Create, ready and hold one review (each step only if not done yet); what happened."""
    ident = review_id(qsmo, quarter.fiscal_year, quarter.quarter)
    review = read_review(api, key, ident)
    said = []
    if review is None:
        meeting = (quarter_end(quarter.fiscal_year, quarter.quarter) + MEETING_AFTER).date()
        people = list(QSMO_PARTICIPANTS if qsmo else GOVERNMENT_PARTICIPANTS)
        variables = {
            "fy": quarter.fiscal_year,
            "q": quarter.quarter,
            "qsmo": qsmo,
            "meeting": meeting.isoformat(),
            "people": people,
        }
        api.graphql(key, CREATE, variables)
        said.append("created")
        review = read_review(api, key, ident)
        assert review is not None
    if review["state"] == "DRAFT":
        api.graphql(key, MAKE_READY, {"id": ident})
        said.append("ready")
        review = read_review(api, key, ident) or review
    if review["state"] == "READY" and date.fromisoformat(review["meetingDate"]) <= now.date():
        decisions = decisions_for(review, scope_name)
        notes = f"{quarter.label} review of {scope_name}, held as scheduled."
        api.graphql(key, HOLD, {"id": ident, "decisions": decisions, "notes": notes})
        said.append(f"held ({len(decisions)} decisions)")
    return f"{ident}: {', '.join(said) or 'already ' + review['state'].lower()}"


def wait_for_packets(
    api: ToolsApi,
    key: str,
    ids: Sequence[str],
    timeout_s: float,
    poll_s: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, dict[str, Any]]:
    """Poll until every review's packet is DONE or FAILED (or the deadline); the packets."""
    deadline = clock() + timeout_s
    packets: dict[str, dict[str, Any]] = {}
    while True:
        for ident in ids:
            review = read_review(api, key, ident)
            if review is not None:
                packets[ident] = review["packet"]
        if all(packets.get(i, {}).get("status") in FINISHED for i in ids) or clock() >= deadline:
            return packets
        time.sleep(poll_s)


__all__ = [
    "HistoryNotScoredError",
    "Quarter",
    "ToolsApiError",
    "ended_quarters",
    "ensure_stakeholder_lists",
    "expected_events",
    "play_review",
    "wait_for_history",
    "wait_for_packets",
]
