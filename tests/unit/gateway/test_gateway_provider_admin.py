"""FrameworkAdmin's provider changes: addProvider, updateProvider, retireProvider, setSlaTarget
— validated against the registry and the catalog, audited, announced, folded."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.framework_admin import FrameworkAdmin, FrameworkChangeRejected
from gateway.framework_announcer import InMemoryFrameworkAnnouncer
from shared.domain.framework_changes import affected_owners
from shared.domain.providers import ProviderKind
from shared.framework_log import InMemoryFrameworkLog

WHO = {"actor": "osspi-admin", "reason": "marketplace review"}
T0 = datetime(2025, 1, 2, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def announcer() -> InMemoryFrameworkAnnouncer:
    return InMemoryFrameworkAnnouncer()


@pytest.fixture
def admin(announcer: InMemoryFrameworkAnnouncer) -> FrameworkAdmin:
    return FrameworkAdmin(InMemoryFrameworkLog(), announcer, clock=Clock())


def add(admin: FrameworkAdmin, provider_id: str = "gsa-cyber-hub", **fields: Any) -> Any:
    arguments: dict[str, Any] = {
        "name": "GSA Cyber Hub",
        "kind": "federal",
        "qsmos": ["cybersecurity"],
        "services": ["security operations center"],
        "parent_agency": "GSA",
    }
    arguments.update(fields)
    return admin.add_provider(provider_id, **arguments, **WHO)


@pytest.mark.parametrize(
    ("call", "field", "says"),
    [
        (lambda a: add(a, "doi-ibc"), "id", "already exists"),
        (lambda a: add(a, "Bad Id"), "id", "lower-case"),
        (lambda a: add(a, kind="commercial"), "kind", "federal, industry"),
        (lambda a: add(a, qsmos=[]), "qsmos", "at least one"),
        (lambda a: add(a, qsmos=["cybersecurity", "travel"]), "qsmos", "unknown QSMO 'travel'"),
        (lambda a: add(a, name="  "), "name", "empty"),
        (lambda a: add(a, services=["soc|siem"]), "services", "'|'"),
        (lambda a: add(a, parent_agency="x" * 65), "parent_agency", "64"),
        (
            lambda a: a.add_provider("p", "P", "federal", ["cybersecurity"], actor="a", reason=" "),
            "reason",
            "audited",
        ),
        (lambda a: a.update_provider("doi-ibcc", name="X", **WHO), "id", "did you mean 'doi-ibc'"),
        (lambda a: a.update_provider("doi-ibc", **WHO), "id", "at least one"),
        (lambda a: a.update_provider("doi-ibc", qsmos=["nowhere"], **WHO), "qsmos", "unknown QSMO"),
        (
            lambda a: a.update_provider("dot-esc", qsmos=["financial-management"], **WHO),
            "id",
            "already has those values",
        ),
        (lambda a: a.retire_provider("nobody", **WHO), "id", "unknown provider 'nobody'"),
        (lambda a: a.set_sla_target("nobody", "customer-satisfaction", 4, **WHO), "provider", ""),
        (lambda a: a.set_sla_target("doi-ibc", "no-such", 4, **WHO), "measure", "unknown"),
        (lambda a: a.set_sla_target("doi-ibc", "customer-satisfaction", 0, **WHO), "target", ">"),
        (
            lambda a: a.set_sla_target("doi-ibc", "customer-satisfaction", 6, **WHO),
            "target",
            "outside the value range",
        ),
    ],
)
async def test_invalid_provider_changes_are_refused_naming_the_field(
    admin: FrameworkAdmin, call: Any, field: str, says: str
) -> None:
    with pytest.raises(FrameworkChangeRejected) as rejected:
        await call(admin)
    assert rejected.value.field == field
    assert says in rejected.value.message
    assert await admin.audit_log(10) == []


async def test_a_provider_is_added_updated_retired_audited_and_announced(
    admin: FrameworkAdmin, announcer: InMemoryFrameworkAnnouncer
) -> None:
    added = await add(admin, qsmos=["cybersecurity", "cybersecurity"])
    updated = await admin.update_provider(
        "gsa-cyber-hub", qsmos=["cybersecurity", "human-resources"], kind="industry", **WHO
    )
    retired = await admin.retire_provider("gsa-cyber-hub", **WHO)
    assert [c.kind for c in announcer.changes] == [
        "provider_added",
        "provider_updated",
        "provider_retired",
    ]
    assert {c.provider for c in (added, updated, retired)} == {"gsa-cyber-hub"}
    assert added.details["qsmos"] == "cybersecurity"  # the repeat is dropped
    assert updated.details["qsmos"] == "cybersecurity|human-resources"
    assert updated.details["name"] == "GSA Cyber Hub"  # the whole provider, as it is after
    assert [c.change_id for c in await admin.audit_log(10)] == [
        retired.change_id,
        updated.change_id,
        added.change_id,
    ]
    provider = (await admin.providers()).get("gsa-cyber-hub")
    assert provider is not None
    assert provider.kind is ProviderKind.INDUSTRY
    assert provider.qsmos == ("cybersecurity", "human-resources")
    assert provider.retired_at == retired.changed_at
    assert affected_owners(retired) == frozenset()


async def test_retired_providers_are_final_their_ids_are_never_reused(
    admin: FrameworkAdmin,
) -> None:
    await admin.retire_provider("doj-jsoc", **WHO)
    with pytest.raises(FrameworkChangeRejected, match="already retired on") as twice:
        await admin.retire_provider("doj-jsoc", **WHO)
    assert twice.value.field == "id"
    with pytest.raises(FrameworkChangeRejected, match="retired; ids are never reused"):
        await add(admin, "doj-jsoc")
    with pytest.raises(FrameworkChangeRejected, match="retired provider gets no SLA") as sla:
        await admin.set_sla_target("doj-jsoc", "customer-satisfaction", 4.5, **WHO)
    assert sla.value.field == "provider"
    assert len(await admin.audit_log(10)) == 1


async def test_sla_targets_are_recorded_per_provider_and_measure(admin: FrameworkAdmin) -> None:
    change = await admin.set_sla_target("doi-ibc", "customer-satisfaction", 4.4, **WHO)
    await admin.set_sla_target("doi-ibc", "customer-satisfaction", 4.6, **WHO)
    assert (change.kind, change.provider, change.measure, change.value) == (
        "sla_target",
        "doi-ibc",
        "customer-satisfaction",
        4.4,
    )
    overrides = await admin.overrides()
    assert overrides.sla_targets == {("doi-ibc", "customer-satisfaction"): 4.6}


async def test_a_provider_may_serve_a_qsmo_an_admin_added(admin: FrameworkAdmin) -> None:
    await admin.add_qsmo("travel", "Travel", "GSA", **WHO)
    await add(admin, "concur-gov", kind="industry", qsmos=["travel"], parent_agency=None)
    provider = (await admin.providers()).get("concur-gov")
    assert provider is not None
    assert (provider.qsmos, provider.parent_agency) == (("travel",), None)
