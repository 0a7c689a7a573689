"""The Adjust loop's part of the analysis store, in memory and on MongoDB: drafts inserted
once, the unclosed actions, the announced overdue date."""

from datetime import UTC, date, datetime, timedelta

import pytest

from gateway.analysis import ActionStatus, ImprovementAction
from gateway.analysis_store import InMemoryAnalysisStore, MongoAnalysisStore
from shared.api_keys import Person

AT = datetime(2026, 1, 15, 12, tzinfo=UTC)
Store = InMemoryAnalysisStore | MongoAnalysisStore


@pytest.fixture(params=["in-memory", "mongo"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "in-memory":
        return InMemoryAnalysisStore()
    return MongoAnalysisStore(request.getfixturevalue("mongo_db"))


def _action(action_id: str, status: ActionStatus, minutes: int = 0) -> ImprovementAction:
    return ImprovementAction(
        id=action_id,
        qsmo="cybersecurity",
        measure="customer-engagement",
        title="Recover Customer Engagement",
        owner="QSMO customer engagement lead",
        due_date=date(2026, 2, 14),
        status=status,
        created_at=AT + timedelta(minutes=minutes),
        created_by="automation:adjust-loop",
        updated_at=AT,
        origin="adjust-loop",
        origin_reason="RED at two consecutive quarter ends",
        review_id="FY2026-Q1|cybersecurity",
    )


async def test_a_draft_is_inserted_once(store: Store) -> None:
    draft = _action("auto:a", ActionStatus.DRAFT)
    assert await store.add_action_if_absent(draft) is True
    assert await store.add_action_if_absent(draft.model_copy(update={"title": "x"})) is False
    assert await store.get_action("auto:a") == draft


async def test_unclosed_actions_include_drafts_the_open_ones_do_not(store: Store) -> None:
    for index, status in enumerate(ActionStatus):
        await store.add_action(_action(f"act_{status.value}", status, minutes=index))
    unclosed = await store.unclosed_actions()
    assert [a.status for a in unclosed] == [
        ActionStatus.IN_PROGRESS,
        ActionStatus.OPEN,
        ActionStatus.DRAFT,
    ]
    grouped = await store.open_actions([("cybersecurity", "customer-engagement")])
    assert {a.status for a in grouped[("cybersecurity", "customer-engagement")]} == {
        ActionStatus.OPEN,
        ActionStatus.IN_PROGRESS,
    }  # a scorecard's open actions: a draft shows once a person confirms it


async def test_the_announced_due_date_is_kept(store: Store) -> None:
    await store.add_action(_action("auto:a", ActionStatus.DRAFT))
    await store.mark_overdue_announced("auto:a", date(2026, 2, 14))
    found = await store.get_action("auto:a")
    assert found is not None
    assert found.overdue_announced == date(2026, 2, 14)
    assert found.revision == 1  # not a person's change: no conflict with one


async def test_an_actions_people_round_trip(store: Store) -> None:
    pat = Person(sub="00u2pat", name="Pat Publisher", issuer="https://login.agency.example")
    action = _action("act_p", ActionStatus.OPEN).model_copy(
        update={"created_by": "oidc:agency:00u2pat", "created_by_person": pat, "origin": "person"}
    )
    await store.add_action(action)
    moved = action.with_status(ActionStatus.IN_PROGRESS, AT, "oidc:agency:00u2pat", None, pat)
    assert await store.replace_action(moved, action.revision)
    stored = await store.get_action("act_p")
    assert stored == moved
    assert stored is not None
    assert stored.created_by_person == pat
    assert stored.history[-1].by_person == pat
