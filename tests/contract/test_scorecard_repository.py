"""One suite, two adapters: the in-memory scorecard repository must behave like MongoDB's,
and the service's write-through cache in front of either must too."""

from datetime import UTC, datetime
from typing import Any

import pytest

from services.scorecard.cache import CachedScorecardRepository
from services.scorecard.domain import compute_scorecard
from services.scorecard.inputs import InputState
from services.scorecard.ports import StoredVersion
from services.scorecard.repository import InMemoryScorecardRepository, MongoScorecardRepository
from shared.catalog import load_catalog
from shared.domain.overrides import NO_OVERRIDES
from shared.domain.summaries import fold_all
from shared.events import StatusTransition

AT = datetime(2024, 2, 1, 10, 30, 15, 123_000, tzinfo=UTC)
FRAMEWORK = load_catalog().framework()


def _input(owner_scope: str, qsmo: str, measure: str, year: int, values: list[float]) -> InputState:
    return InputState(
        scope=owner_scope,  # type: ignore[arg-type]
        qsmo=qsmo,
        measure=measure,
        fiscal_year=year,
        summary=fold_all([(v, AT, i) for i, v in enumerate(values)]),
        restated=False,
        restated_count=1,
        last_occurred_at=AT,
        last_ingested_at=AT,
        changed_at=AT,
    )


def _version(version: int, values: list[float], qsmo: str = "cybersecurity") -> StoredVersion:
    view = compute_scorecard(
        FRAMEWORK,
        NO_OVERRIDES,
        owner=qsmo,
        fiscal_year=2024,
        inputs=[_input("qsmo", qsmo, "customer-engagement", 2024, values)],
        computed_at=AT,
    ).model_copy(update={"version": version})
    transition = StatusTransition(
        level="overall", from_status="NO_DATA", to_status=view.overall_status
    )
    return StoredVersion(view, (transition,))


@pytest.fixture(params=["in-memory", "mongo", "cached in-memory", "cached mongo"])
def repository(request: pytest.FixtureRequest) -> Any:
    if request.param.endswith("in-memory"):
        store: Any = InMemoryScorecardRepository()
    else:
        store = MongoScorecardRepository(request.getfixturevalue("mongo_db"))
    return CachedScorecardRepository(store) if request.param.startswith("cached") else store


async def test_inputs_round_trip_by_owner(repository: Any) -> None:
    a = _input("qsmo", "cybersecurity", "customer-engagement", 2024, [0.1, 0.2, 1e16])
    b = _input("government", "cybersecurity", "customer-engagement", 2024, [3])
    c = _input("qsmo", "grants-management", "customer-engagement", 2023, [4])
    await repository.save_inputs([a, b, c])
    assert await repository.load_inputs(["cybersecurity"]) == [a]
    assert await repository.load_inputs(["government"]) == [b]
    assert await repository.scorecards_of(None) == {
        ("cybersecurity", 2024),
        ("government", 2024),
        ("grants-management", 2023),
    }
    assert await repository.scorecards_of(["grants-management"]) == {("grants-management", 2023)}
    assert await repository.load_inputs([]) == []


async def test_versions_current_pointer_and_publication(repository: Any) -> None:
    if hasattr(repository, "create_indexes"):
        await repository.create_indexes()
    first = _version(1, [40])
    await repository.insert_versions([first])
    latest = await repository.load_latest(["FY2024|cybersecurity", "FY2024|government"])
    assert list(latest) == ["FY2024|cybersecurity"]  # stored but not yet pointed at
    assert latest["FY2024|cybersecurity"].stored == first
    assert not latest["FY2024|cybersecurity"].published
    await repository.save_current([first])
    await repository.mark_published({"FY2024|cybersecurity": 1})
    assert (await repository.load_latest(["FY2024|cybersecurity"]))[
        "FY2024|cybersecurity"
    ].published
    second, third = _version(2, [10]), _version(3, [20])
    await repository.insert_versions([second])
    await repository.insert_versions([third, second])  # a replayed insert is ignored
    latest = await repository.load_latest(["FY2024|cybersecurity"])
    assert latest["FY2024|cybersecurity"].stored == third
    assert not latest["FY2024|cybersecurity"].published
    await repository.save_current([third])
    await repository.mark_published({"FY2024|cybersecurity": 2})  # not the current one: no effect
    assert not (await repository.load_latest(["FY2024|cybersecurity"]))[
        "FY2024|cybersecurity"
    ].published
    assert await repository.count_by_status() == {third.view.overall_status: 1}


async def test_many_writes_in_one_call(repository: Any) -> None:
    """More than one store command's worth (FerretDB stalls at 100 updates per command)."""
    inputs = [_input("qsmo", f"q{i}", "customer-engagement", 2024, [i]) for i in range(160)]
    await repository.save_inputs(inputs)
    await repository.save_inputs(inputs)
    assert len(await repository.load_inputs([f"q{i}" for i in range(160)])) == 160
    versions = [_version(1, [i], qsmo=f"q{i}") for i in range(120)]
    await repository.insert_versions(versions)
    await repository.save_current(versions)
    await repository.mark_published({v.view.scorecard_id: 1 for v in versions})
    latest = await repository.load_latest([v.view.scorecard_id for v in versions])
    assert len(latest) == 120
    assert all(v.published for v in latest.values())


async def test_watermarks(repository: Any) -> None:
    assert await repository.load_watermarks(["values|0"]) == {}
    await repository.save_watermarks({"values|0": 3, "values|1": 1})
    await repository.save_watermarks({"values|1": 4})
    assert await repository.load_watermarks(["values|0", "values|1", "values|2"]) == {
        "values|0": 3,
        "values|1": 4,
    }


async def test_reads_before_writes_see_the_writes_in_the_stores_order(repository: Any) -> None:
    """What a running writer does every batch: read, write, read again."""
    assert await repository.load_inputs(["cybersecurity"]) == []
    assert await repository.load_latest(["FY2024|cybersecurity"]) == {}
    a = _input("qsmo", "cybersecurity", "customer-engagement", 2024, [1])
    b = _input("qsmo", "cybersecurity", "customer-satisfaction", 2024, [4])
    await repository.save_inputs([a, b])
    a2 = _input("qsmo", "cybersecurity", "customer-engagement", 2024, [1, 2])
    c = _input("qsmo", "cybersecurity", "price-transparency", 2023, [80])
    await repository.save_inputs([c, a2])
    assert await repository.load_inputs(["cybersecurity", "government"]) == [a2, b, c]
    first, second = _version(1, [40]), _version(2, [10])
    await repository.insert_versions([first])
    await repository.save_current([first])
    assert not (await repository.load_latest(["FY2024|cybersecurity"]))[
        "FY2024|cybersecurity"
    ].published
    await repository.mark_published({"FY2024|cybersecurity": 1})
    await repository.insert_versions([second])
    latest = await repository.load_latest(["FY2024|cybersecurity", "FY2024|government"])
    assert list(latest) == ["FY2024|cybersecurity"]
    assert (latest["FY2024|cybersecurity"].stored, latest["FY2024|cybersecurity"].published) == (
        second,
        False,
    )
    await repository.mark_published({"FY2024|cybersecurity": 2})  # still pointing at 1
    assert not (await repository.load_latest(["FY2024|cybersecurity"]))[
        "FY2024|cybersecurity"
    ].published
    await repository.save_current([second])
    await repository.mark_published({"FY2024|cybersecurity": 2})
    assert (await repository.load_latest(["FY2024|cybersecurity"]))[
        "FY2024|cybersecurity"
    ].published
