"""Events name their provider (schema version 2): ingest checks it against the registry —
the catalog's providers with admins' additions, updates and retirements from the audit log."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from ingest_support import DevKeys, FakeClock, IngestHarness, build_harness, event

from services.ingest.qsmo_directory import QsmoDirectory
from services.ingest.settings import IngestSettings
from shared.catalog import load_catalog
from shared.domain.framework_changes import RecordedChange, provider_details
from shared.domain.providers import Provider, ProviderKind, ProviderRegistry
from shared.domain.validation import ErrorCode, validate_provider
from shared.events import EVENT_SCHEMA_VERSION, FrameworkChanged, PerformanceEvent
from shared.framework_log import InMemoryFrameworkLog

CATALOG = load_catalog()
RETIRED_AT = datetime(2024, 3, 1, tzinfo=UTC)
NEW_PROVIDER = Provider(
    id="gsa-cyber-hub",
    name="GSA Cyber Hub",
    kind=ProviderKind.FEDERAL,
    qsmos=("cybersecurity",),
    services=("security operations center",),
)


def provider_change(kind: str, provider: str, details: dict[str, str] | None = None) -> Any:
    return FrameworkChanged(
        change_id=f"{kind}-{provider}",
        kind=kind,  # type: ignore[arg-type]
        provider=provider,
        details=details or {},
        actor="admin",
        reason="test",
        changed_at=RETIRED_AT,
    )


def errors(body: Any) -> list[tuple[str, str]]:
    return [(d["field"], d["code"]) for d in body["error"]["details"]]


# --- the rule, pure --------------------------------------------------------------------------
REGISTRY = ProviderRegistry(CATALOG.providers)


@pytest.mark.parametrize(
    ("provider", "qsmo", "code", "says"),
    [
        (None, "cybersecurity", None, ()),
        ("doj-jsoc", "cybersecurity", None, ()),
        ("doj-jsocc", "cybersecurity", ErrorCode.UNKNOWN_PROVIDER, ("did you mean 'doj-jsoc'?",)),
        (
            "nobody-at-all",
            "cybersecurity",
            ErrorCode.UNKNOWN_PROVIDER,
            ("not a known provider", "bluepeak-soc, cisa-cyber-shared-services, doj-jsoc"),
        ),
        (
            "opm-hrs",
            "cybersecurity",
            ErrorCode.PROVIDER_NOT_OFFERED,
            ("not offered by QSMO 'cybersecurity'", "it serves human-resources"),
        ),
    ],
)
def test_the_provider_rule_names_the_problem_and_the_fix(
    provider: str | None, qsmo: str, code: ErrorCode | None, says: tuple[str, ...]
) -> None:
    found = validate_provider(REGISTRY, provider=provider, qsmo=qsmo)
    assert [e.code for e in found] == ([] if code is None else [code])
    for error in found:
        assert error.field == "provider"
        for text in says:
            assert text in error.message


def test_a_retired_provider_says_when_it_was_retired_and_what_to_send() -> None:
    jsoc = REGISTRY.get("doj-jsoc")
    assert jsoc is not None
    registry = ProviderRegistry(
        [*REGISTRY.all(), jsoc.model_copy(update={"retired_at": RETIRED_AT})]
    )
    (error,) = validate_provider(registry, provider="doj-jsoc", qsmo="cybersecurity")
    assert error.code is ErrorCode.PROVIDER_RETIRED
    assert "retired on 2024-03-01T00:00:00+00:00" in error.message
    assert "accepts no new events" in error.message
    assert "doj-jsoc," not in error.message  # the retired one is not offered as the fix


def test_an_unknown_qsmo_is_not_reported_twice_through_its_provider() -> None:
    assert validate_provider(REGISTRY, provider="doj-jsoc", qsmo="nope", qsmo_known=False) == []


def test_old_events_without_provider_and_version_1_events_stay_valid() -> None:
    old = PerformanceEvent.model_validate_json(
        '{"schema_version": 1, "event_id": "e", "qsmo": "cybersecurity", "measure": "m",'
        ' "value": 1, "occurred_at": "2024-05-01T12:00:00Z"}'
    )
    assert (old.schema_version, old.provider) == (1, None)
    # The version is informative: a version-1 event may carry a provider too.
    v1_with_provider = old.model_copy(update={"provider": "doj-jsoc"})
    assert v1_with_provider.provider == "doj-jsoc"
    new = PerformanceEvent(
        event_id="e", qsmo="cybersecurity", measure="m", value=1.0, occurred_at=RETIRED_AT
    )
    assert new.schema_version == EVENT_SCHEMA_VERSION == 2


# --- through the app -------------------------------------------------------------------------
async def test_events_naming_a_provider_are_published_with_it(harness: IngestHarness) -> None:
    accepted = await harness.post(
        {
            "events": [
                event(event_id="p-1", provider="doj-jsoc", agency="DOJ"),
                event(event_id="p-2", schema_version=1, provider="bluepeak-soc"),
                event(event_id="p-3"),  # no provider: valid as ever
            ]
        }
    )
    assert accepted.status_code == 202, accepted.text
    published = harness.publisher.published
    assert [(e.event_id, e.provider) for e in published] == [
        ("p-1", "doj-jsoc"),
        ("p-2", "bluepeak-soc"),
        ("p-3", None),
    ]
    assert [e.schema_version for e in published] == [2, 1, 2]


async def test_bad_providers_are_422_naming_the_field_and_nothing_is_published(
    harness: IngestHarness,
) -> None:
    refused = await harness.post(
        {
            "events": [
                event(event_id="p-1", provider="doj-jsco"),
                event(event_id="p-2", provider="opm-hrs"),
                event(event_id="p-3", provider="Not An Id"),
                event(event_id="p-4", provider="doj-jsoc"),
            ]
        }
    )
    assert refused.status_code == 422
    details = refused.json()["error"]["details"]
    assert [(d["index"], d["field"], d["code"]) for d in details] == [
        (0, "provider", "unknown_provider"),
        (1, "provider", "provider_not_offered"),
        (2, "provider", "invalid_format"),
    ]
    assert "did you mean 'doj-jsoc'?" in details[0]["message"]
    assert "it serves human-resources" in details[1]["message"]
    assert "a provider id such as 'doi-ibc'" in details[2]["message"]
    assert harness.publisher.published == []


async def test_csv_rows_are_checked_the_same_way_with_their_lines(harness: IngestHarness) -> None:
    body = (
        "event_id,qsmo,measure,value,occurred_at,provider\n"
        "c-1,cybersecurity,customer-satisfaction,4,2024-05-01T12:00:00Z,doj-jsoc\n"
        "c-2,cybersecurity,customer-satisfaction,4,2024-05-01T12:00:00Z,usda-nfc\n"
        "c-3,cybersecurity,customer-satisfaction,4,2024-05-01T12:00:00Z,\n"
    )
    headers = harness.keys.auth() | {"Content-Type": "text/csv"}
    refused = await harness.client.post("/v1/events:csv", content=body, headers=headers)
    assert refused.status_code == 422
    (detail,) = refused.json()["error"]["details"]
    assert (detail["line"], detail["index"], detail["field"], detail["code"]) == (
        3,
        1,
        "provider",
        "provider_not_offered",
    )
    fixed = body.replace("usda-nfc", "bluepeak-soc")
    accepted = await harness.client.post("/v1/events:csv", content=fixed, headers=headers)
    assert accepted.status_code == 202, accepted.text
    assert [e.provider for e in harness.publisher.published] == ["doj-jsoc", "bluepeak-soc", None]


async def test_admins_provider_changes_are_in_force_after_the_next_refresh(
    keys: DevKeys, clock: FakeClock
) -> None:
    framework_log = InMemoryFrameworkLog()
    settings = IngestSettings(qsmo_refresh_s=0.01)
    new = event(event_id="n-1", provider=NEW_PROVIDER.id)
    retiring = event(event_id="r-1", provider="doj-jsoc")
    async with build_harness(keys, clock, settings, framework_log) as harness:
        before = await harness.post(new)
        assert errors(before.json()) == [("provider", "unknown_provider")]
        await framework_log.append(
            provider_change("provider_added", NEW_PROVIDER.id, provider_details(NEW_PROVIDER)),
            f"provider|{NEW_PROVIDER.id}",
        )
        await framework_log.append(provider_change("provider_retired", "doj-jsoc"), "retire")
        async with asyncio.timeout(5):
            while (answer := await harness.post(new)).status_code != 202:
                assert errors(answer.json()) == [("provider", "unknown_provider")]
                await asyncio.sleep(0.01)
        retired = await harness.post(retiring)
    assert errors(retired.json()) == [("provider", "provider_retired")]
    assert [e.event_id for e in harness.publisher.published] == ["n-1"]


class UnreachableLog:
    async def after(self, seq: int) -> list[RecordedChange]:
        raise ConnectionError("store unreachable")


async def test_until_provider_changes_are_loaded_an_unknown_provider_is_503_not_422(
    keys: DevKeys, clock: FakeClock
) -> None:
    """It may be one an admin added: a 422 would make the system drop valid events."""
    settings = IngestSettings(qsmo_refresh_s=0.01)
    async with build_harness(keys, clock, settings, UnreachableLog()) as harness:
        unknown = await harness.post(event(event_id="u-1", provider=NEW_PROVIDER.id))
        not_offered = await harness.post(event(event_id="u-2", provider="opm-hrs"))
        known = await harness.post(event(event_id="k-1", provider="doj-jsoc"))
    for answer in (unknown, not_offered):
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "5"
        assert "providers added or changed by admins are not loaded yet" in answer.text
    assert known.status_code == 202
    assert [e.event_id for e in harness.publisher.published] == ["k-1"]


def test_the_directory_replays_provider_changes_once_in_order() -> None:
    directory = QsmoDirectory(("cybersecurity",), providers=CATALOG.providers)
    records = [
        RecordedChange(
            1, provider_change("provider_added", NEW_PROVIDER.id, provider_details(NEW_PROVIDER))
        ),
        RecordedChange(
            2,
            provider_change(
                "provider_updated", NEW_PROVIDER.id, {"qsmos": "cybersecurity|human-resources"}
            ),
        ),
        RecordedChange(3, provider_change("provider_retired", "doj-jsoc")),
    ]
    directory.apply(records)
    directory.apply(records)  # a replay changes nothing
    added = directory.providers.get(NEW_PROVIDER.id)
    assert added is not None
    assert added.qsmos == ("cybersecurity", "human-resources")
    assert added.name == "GSA Cyber Hub"
    retired = directory.providers.get("doj-jsoc")
    assert retired is not None
    assert retired.retired_at == RETIRED_AT
    assert directory.seq == 3


def test_a_provider_change_that_cannot_be_applied_is_left_out_not_fatal() -> None:
    directory = QsmoDirectory(("cybersecurity",), providers=CATALOG.providers)
    broken = provider_change("provider_added", "broken", {"name": "No QSMOs", "kind": "federal"})
    good = provider_change("provider_added", NEW_PROVIDER.id, provider_details(NEW_PROVIDER))
    directory.apply([RecordedChange(1, broken), RecordedChange(2, good)])
    assert "broken" not in directory.providers
    assert NEW_PROVIDER.id in directory.providers
    assert directory.seq == 2
