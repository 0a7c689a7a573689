"""The events a provider tool owes are checked as ingest checks events before they are owed."""

from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from gateway.metrics import GatewayMetrics
from gateway.provider_tools.events import (
    InMemoryOutboxSource,
    InMemoryToolEventPublisher,
    ToolEventInvalidError,
    ToolEventOutbox,
    owed_event,
)
from shared.catalog import load_catalog
from shared.domain.providers import ProviderRegistry

CATALOG = load_catalog()
NOW = datetime(2024, 5, 15, 12, tzinfo=UTC)


def owe(**changes: object) -> dict[str, object]:
    arguments: dict[str, object] = {
        "tool": "self-assessment",
        "doc_id": "doi-ibc|FY2024",
        "event_id": "self-assessment:doi-ibc:FY2024",
        "qsmo": "financial-management",
        "measure": "best-practices-self-assessment",
        "value": 3.44,
        "occurred_at": NOW,
        "now": NOW,
        "provider": "doi-ibc",
    }
    arguments.update(changes)
    registry = ProviderRegistry(CATALOG.providers)
    return owed_event(CATALOG, registry, **arguments)  # type: ignore[arg-type]


def test_an_owed_event_is_an_accepted_event_of_its_tool() -> None:
    event = owe()
    assert event["request_id"] == "tool:self-assessment:doi-ibc|FY2024"
    assert event["source"] == "self-assessment"
    assert event["schema_version"] == 2
    assert (event["measure"], event["value"], event["provider"]) == (
        "best-practices-self-assessment",
        3.44,
        "doi-ibc",
    )
    assert event["occurred_at"] == "2024-05-15T12:00:00Z"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"value": 5.5}, "value"),  # the provider framework's range is 1..5
        ({"provider": "opm-hrs"}, "provider"),  # not offered by financial-management
        ({"occurred_at": datetime(2024, 6, 1, tzinfo=UTC)}, "occurred_at"),  # in the future
        ({"measure": "best-practise"}, "measure"),
    ],
)
def test_an_event_the_catalog_refuses_is_never_owed(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ToolEventInvalidError) as refused:
        owe(**changes)
    assert [e.field for e in refused.value.errors] == [field]


async def test_the_sweep_counts_published_and_still_pending_events() -> None:
    registry = CollectorRegistry()
    metrics = GatewayMetrics(registry)
    source, publisher = InMemoryOutboxSource(), InMemoryToolEventPublisher()
    outbox = ToolEventOutbox(publisher, [("survey", source)], clock=lambda: NOW, metrics=metrics)
    source.owe("wave-1", [owe(), owe(event_id="self-assessment:doi-ibc:FY2023")])
    publisher.available = False
    assert await outbox.sweep() == 0
    pending = registry.get_sample_value("qsmo_gateway_tool_events_pending", {"kind": "survey"})
    assert pending == 2
    publisher.available = True
    assert await outbox.sweep() == 2
    assert registry.get_sample_value("qsmo_gateway_tool_events_pending", {"kind": "survey"}) == 0
    published = registry.get_sample_value(
        "qsmo_gateway_tool_events_published_total", {"kind": "survey"}
    )
    assert published == 2
    assert len(publisher.events) == 2
