"""FrameworkAdmin: validation against the catalog, the audit trail, announcements, folding."""

from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.framework_admin import FrameworkAdmin, FrameworkChangeRejected
from gateway.framework_announcer import InMemoryFrameworkAnnouncer
from shared.domain.framework_changes import affected_owners
from shared.framework_log import InMemoryFrameworkLog

WHO = {"actor": "osspi-admin", "reason": "annual review"}


@pytest.fixture
def publisher() -> InMemoryFrameworkAnnouncer:
    return InMemoryFrameworkAnnouncer()


@pytest.fixture
def store(publisher: InMemoryFrameworkAnnouncer) -> FrameworkAdmin:
    return FrameworkAdmin(
        InMemoryFrameworkLog(), publisher, clock=lambda: datetime(2025, 1, 2, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.set_target("no-such-measure", 5, **WHO), "measure"),
        (lambda s: s.set_target("customer-satisfaction", 6, **WHO), "target"),  # score 1-5
        (lambda s: s.set_target("price-transparency", 0, **WHO), "target"),
        (lambda s: s.set_target("customer-engagement", 30, qsmo="nobody", **WHO), "qsmo"),
        (lambda s: s.set_measure_weight("customer-engagement", 0, **WHO), "weight"),
        (lambda s: s.set_dimension_weight("customer", float("nan"), **WHO), "weight"),
        (lambda s: s.set_dimension_weight("nowhere", 2, **WHO), "dimension"),
        (lambda s: s.set_baseline("price-transparency", 101, **WHO), "value"),
        (lambda s: s.adopt_dimension("customer", 3, **WHO), "dimension"),
        (lambda s: s.adopt_dimension("it-modernization", 4, **WHO), "phase"),
        (lambda s: s.add_qsmo("cybersecurity", "Again", "CISA", **WHO), "qsmo_id"),
        (lambda s: s.add_qsmo("government", "Reserved", "GSA", **WHO), "qsmo_id"),
        (lambda s: s.add_qsmo("Bad Id", "Name", "GSA", **WHO), "qsmo_id"),
        (lambda s: s.set_target("customer-engagement", 30, actor=" ", reason="r"), "actor"),
    ],
)
async def test_invalid_changes_are_rejected_naming_the_field(
    store: FrameworkAdmin, call: Any, field: str
) -> None:
    with pytest.raises(FrameworkChangeRejected) as rejected:
        await call(store)
    assert rejected.value.field == field
    assert rejected.value.message
    assert await store.audit_log(10) == []


async def test_changes_are_recorded_announced_and_folded(
    store: FrameworkAdmin, publisher: InMemoryFrameworkAnnouncer
) -> None:
    target = await store.set_target("customer-engagement", 30, qsmo="cybersecurity", **WHO)
    await store.set_target("customer-engagement", 45, **WHO)
    await store.set_measure_weight("customer-satisfaction", 2, **WHO)
    await store.set_dimension_weight("financial", 0.5, **WHO)
    await store.set_baseline("price-transparency", 70, qsmo="cybersecurity", **WHO)
    await store.adopt_dimension("it-modernization", 3, **WHO)
    added = await store.add_qsmo("travel", "Travel QSMO", "GSA", **WHO)
    assert target.actor == "osspi-admin"
    assert target.details["seq"] == "1"
    assert next(c.change_id for c in publisher.changes) == target.change_id
    overrides = await store.overrides()
    assert overrides.qsmo_targets[("cybersecurity", "customer-engagement")] == 30
    assert overrides.targets["customer-engagement"] == 45
    assert overrides.measure_weights["customer-satisfaction"] == 2
    assert overrides.dimension_weights["financial"] == 0.5
    assert overrides.baselines[("cybersecurity", "price-transparency")] == 70
    assert overrides.adopted_dimensions == {"it-modernization": 3}
    assert [q.id for q in await store.qsmos()][-1] == "travel"
    with pytest.raises(FrameworkChangeRejected):
        await store.adopt_dimension("it-modernization", 3, **WHO)  # already adopted
    await store.set_target(
        "customer-engagement", 33, qsmo="travel", **WHO
    )  # an added QSMO is known
    page = await store.audit_log(3)
    assert [c.details["seq"] for c in page] == ["8", "7", "6"]
    assert page[1].change_id == added.change_id
    rest = await store.audit_log(10, after_id=page[-1].change_id)
    assert [c.details["seq"] for c in rest] == ["5", "4", "3", "2", "1"]
    with pytest.raises(FrameworkChangeRejected):
        await store.audit_log(10, after_id="unknown")


async def test_a_failed_announcement_still_records_the_change() -> None:
    class Down:
        async def publish_framework_change(self, change: object) -> None:
            raise ConnectionError("broker down")

    store = FrameworkAdmin(InMemoryFrameworkLog(), Down())
    await store.set_measure_weight("customer-engagement", 2, **WHO)
    assert len(await store.audit_log(5)) == 1


async def test_which_scorecards_a_change_can_alter(store: FrameworkAdmin) -> None:
    per_qsmo = await store.set_target("customer-engagement", 30, qsmo="cybersecurity", **WHO)
    everyone = await store.set_target("customer-engagement", 30, **WHO)
    government = await store.set_baseline("customer-engagement", 10, **WHO)
    assert affected_owners(per_qsmo) == {"cybersecurity"}
    assert affected_owners(everyone) is None
    assert affected_owners(government) == {"government"}


class CountingLog(InMemoryFrameworkLog):
    """The in-memory log, remembering from which ``seq`` each read started."""

    def __init__(self) -> None:
        super().__init__()
        self.reads_after: list[int] = []

    async def after(self, seq: int) -> Any:
        self.reads_after.append(seq)
        return await super().after(seq)


async def test_state_reads_only_new_entries_and_sees_other_writers() -> None:
    shared_log = CountingLog()
    ours = FrameworkAdmin(shared_log)
    theirs = FrameworkAdmin(shared_log)  # another gateway instance on the same database
    await ours.add_qsmo("travel", "Travel", "GSA", **WHO)
    first = await ours.state()
    await theirs.set_target("customer-engagement", 42, **WHO)
    second = await ours.state()
    assert [q.id for q in first.added_qsmos] == ["travel"]
    assert second.seq == 2
    assert second.overrides != first.overrides
    assert [q.id for q in second.added_qsmos] == ["travel"]
    assert shared_log.reads_after[-1] == 1  # our second read skipped the entry it had
