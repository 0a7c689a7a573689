"""The Kafka fan-out: filters, bounded buffers, and the GraphQL subscriptions on top."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from gateway_unit_support import NOW, Harness, error_codes

from gateway.live import SubscriberTooSlowError
from shared.codecs import encode
from shared.events import NotificationRaised, ScorecardChanged


def changed(qsmo: str | None, version: int = 1, fiscal_year: int = 2024) -> ScorecardChanged:
    return ScorecardChanged(
        scorecard_id=f"FY{fiscal_year}|{qsmo or 'government'}",
        fiscal_year=fiscal_year,
        qsmo=qsmo,
        version=version,
        phase=3,
        computed_at=NOW,
        cause="new_data",
        overall_score=80.0,
        overall_status="AMBER",
        transitions=[],
        measures=[],
    )


async def next_result(stream: AsyncIterator[Any], timeout_s: float = 5) -> Any:
    return await asyncio.wait_for(stream.__anext__(), timeout_s)


async def wait_for_subscribers(harness: Harness, kind: str, count: int) -> None:
    for _ in range(500):  # polls for up to 5 s
        if harness.runtime.live.subscriber_count(kind) >= count:  # type: ignore[arg-type]
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no {count} {kind} subscriber(s) within 5 s")


async def test_fan_out_honours_filters(harness: Harness) -> None:
    live = harness.runtime.live
    async with (
        live.subscribe("scorecards", lambda m: m.qsmo == "cybersecurity") as cyber,
        live.subscribe("scorecards", lambda m: True) as everyone,
    ):
        live.publish("scorecards", changed("grants-management"))
        live.publish("scorecards", changed("cybersecurity"))
        assert (await everyone.next()).qsmo == "grants-management"
        assert (await everyone.next()).qsmo == "cybersecurity"
        assert (await cyber.next()).qsmo == "cybersecurity"
    assert live.subscriber_count("scorecards") == 0


async def test_listeners_hear_every_message_of_their_kind(harness: Harness) -> None:
    heard: list[object] = []
    harness.runtime.live.add_listener("scorecards", heard.append)
    harness.runtime.live.publish("scorecards", changed("cybersecurity"))
    harness.runtime.live.publish_raw("n", b"{}")  # another kind, and undecodable
    assert [m.qsmo for m in heard] == ["cybersecurity"]  # type: ignore[attr-defined]


async def test_a_slow_subscriber_is_dropped_without_blocking_others(harness: Harness) -> None:
    live = harness.runtime.live  # queue_size=3 in the harness
    async with (
        live.subscribe("scorecards", lambda m: True) as slow,
        live.subscribe("scorecards", lambda m: True) as fast,
    ):
        for version in range(1, 5):
            live.publish("scorecards", changed("cybersecurity", version))
            assert (await fast.next()).version == version
        with pytest.raises(SubscriberTooSlowError):
            await slow.next()
        assert live.subscriber_count("scorecards") == 1
    metrics = harness.runtime.registry.get_sample_value(
        "qsmo_gateway_dropped_subscribers_total", {"subscription": "scorecardChanged"}
    )
    assert metrics == 1


async def test_undecodable_messages_are_counted_and_skipped(harness: Harness) -> None:
    live = harness.runtime.live
    async with live.subscribe("scorecards", lambda m: True) as subscriber:
        live.publish_raw("s", b"not json")
        live.publish_raw("s", encode(changed("cybersecurity")))
        assert (await subscriber.next()).qsmo == "cybersecurity"
    bad = harness.runtime.registry.get_sample_value(
        "qsmo_gateway_live_messages_total", {"kind": "scorecards", "result": "undecodable"}
    )
    assert bad == 1


async def test_scorecard_changed_subscription(seeded: Harness) -> None:
    stream = await seeded.schema.subscribe(
        """subscription { scorecardChanged(qsmo: "cybersecurity") { scorecardId version
             overallStatus qsmo { name } scorecard { id overallStatus } } }""",
        context_value=seeded.context("viewer"),
    )
    assert not hasattr(stream, "errors"), stream
    first = asyncio.ensure_future(next_result(stream))  # type: ignore[arg-type]
    await wait_for_subscribers(seeded, "scorecards", 1)
    gauge = seeded.runtime.registry.get_sample_value(
        "qsmo_gateway_active_subscriptions", {"subscription": "scorecardChanged"}
    )
    assert gauge == 1
    seeded.runtime.live.publish("scorecards", changed("grants-management"))
    seeded.runtime.live.publish("scorecards", changed("cybersecurity", 7))
    result = await first
    assert result.errors is None
    assert result.data["scorecardChanged"]["version"] == 7
    assert result.data["scorecardChanged"]["qsmo"] == {"name": "Cybersecurity Services QSMO"}
    assert result.data["scorecardChanged"]["scorecard"]["id"] == "FY2024|cybersecurity"
    await stream.aclose()  # type: ignore[union-attr]
    assert seeded.runtime.live.subscriber_count("scorecards") == 0


async def test_notification_raised_subscription(harness: Harness) -> None:
    stream = await harness.schema.subscribe(
        "subscription { notificationRaised { notificationId severity state qsmoId } }",
        context_value=harness.context("viewer"),
    )
    pending = asyncio.ensure_future(next_result(stream))  # type: ignore[arg-type]
    await wait_for_subscribers(harness, "notifications", 1)
    harness.runtime.live.publish(
        "notifications",
        NotificationRaised(
            notification_id="n1",
            rule="stale_measure",
            severity="critical",
            state="raised",
            qsmo=None,
            message="m",
            raised_at=NOW,
        ),
    )
    result = await pending
    assert result.data["notificationRaised"] == {
        "notificationId": "n1",
        "severity": "CRITICAL",
        "state": "RAISED",
        "qsmoId": None,
    }
    await stream.aclose()  # type: ignore[union-attr]


async def test_subscriptions_need_a_key_and_a_known_qsmo(harness: Harness) -> None:
    anonymous = await harness.schema.subscribe(
        "subscription { scorecardChanged { version } }", context_value=harness.context(None)
    )
    result = await next_result(anonymous)  # type: ignore[arg-type]
    assert error_codes(result) == ["UNAUTHENTICATED"]
    unknown = await harness.schema.subscribe(
        'subscription { scorecardChanged(qsmo: "nope") { version } }',
        context_value=harness.context("viewer"),
    )
    result = await next_result(unknown)  # type: ignore[arg-type]
    assert error_codes(result) == ["BAD_USER_INPUT"]
