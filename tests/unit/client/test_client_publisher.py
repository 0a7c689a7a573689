"""The publisher client against an in-process fake ingest: batching, retries, errors."""

from datetime import UTC, datetime

import httpx
import pytest
from client_fakes import KEY, FakeIngest, Sleeps, error_response

from qsmo_client import AuthenticationError, Event, Publisher, RawEvent, RetryPolicy
from qsmo_client.publisher import plan_batches
from qsmo_client.retry import parse_retry_after

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def event(number: int, **changes: object) -> Event:
    fields: dict[str, object] = {
        "event_id": f"e-{number}",
        "qsmo": "cybersecurity",
        "measure": "customer-engagement",
        "value": 1,
        "occurred_at": "2026-04-01T12:00:00Z",
    }
    fields.update(changes)
    return Event(**fields)  # type: ignore[arg-type]


def publisher(
    fake: FakeIngest, sleeps: Sleeps | None = None, *, random_unit: float = 0.0, **kw: object
) -> Publisher:
    return Publisher(
        KEY,
        "http://ingest.test",
        transport=fake.transport,
        sleep=sleeps or Sleeps(),
        random_unit=lambda: random_unit,
        clock=lambda: NOW,
        **kw,  # type: ignore[arg-type]
    )


def test_events_go_in_batches_of_at_most_1000_in_order() -> None:
    fake = FakeIngest()
    report = publisher(fake).publish(event(n) for n in range(2500))
    assert [len(r) for r in fake.requests] == [1000, 1000, 500]
    assert [e["event_id"] for r in fake.requests for e in r] == [f"e-{n}" for n in range(2500)]
    assert (report.accepted, report.requests, report.retries, report.ok) == (2500, 3, 0, True)
    assert report.accepted_ids[:2] == ["e-0", "e-1"]


def test_batches_stay_under_the_byte_limit() -> None:
    fake = FakeIngest()
    big = [event(n, attributes={"note": "x" * 900}) for n in range(30)]
    publisher(fake, max_bytes=10_000).publish(big)
    assert len(fake.requests) > 1
    assert all(len(str(r)) < 12_000 for r in fake.requests)
    assert sum(len(r) for r in fake.requests) == 30


def test_a_repeated_event_id_starts_a_new_request_and_counts_once() -> None:
    fake = FakeIngest()
    report = publisher(fake).publish([event(1), event(2), event(1), event(3)])
    assert [[e["event_id"] for e in r] for r in fake.requests] == [["e-1", "e-2"], ["e-1", "e-3"]]
    assert report.accepted == 4
    assert sorted(fake.stored) == ["e-1", "e-2", "e-3"]


def test_429_waits_at_least_retry_after_then_resends_the_same_body() -> None:
    fake = FakeIngest([error_response(429, "rate_limited", retry_after="3")])
    sleeps = Sleeps()
    report = publisher(fake, sleeps, random_unit=0.5).publish([event(1), event(2)])
    assert sleeps.waits == [pytest.approx(3 * 1.1)]
    assert fake.requests[0] == fake.requests[1]
    assert (report.accepted, report.retries, report.requests) == (2, 1, 2)


def test_503_without_retry_after_backs_off_exponentially_with_jitter() -> None:
    outage = [error_response(503, "unavailable") for _ in range(4)]
    fake = FakeIngest(outage)
    sleeps = Sleeps()
    report = publisher(fake, sleeps, random_unit=0.0).publish([event(1)])
    assert sleeps.waits == [0.5, 1.0, 2.0, 4.0]  # the lower edge of "equal jitter"
    assert report.ok
    assert len({str(r) for r in fake.requests}) == 1  # the event id never changed


def test_jitter_spreads_waits_up_to_the_full_back_off() -> None:
    policy = RetryPolicy(base_delay_s=1, max_delay_s=8)
    assert [policy.delay_s(n, None, 0.999) for n in (1, 2, 3, 4, 5, 9)] == pytest.approx(
        [1, 2, 4, 8, 8, 8], abs=0.01
    )
    assert policy.delay_s(3, None, 0.0) == 2.0


def test_network_errors_and_5xx_are_retried() -> None:
    request = httpx.Request("POST", "http://ingest.test/v1/events")
    fake = FakeIngest(
        [
            httpx.ConnectError("connection refused", request=request),
            httpx.ReadTimeout("timed out", request=request),
            error_response(500, "internal_error"),
            error_response(502, "bad_gateway"),
        ]
    )
    report = publisher(fake).publish([event(1)])
    assert (report.ok, report.retries, report.accepted) == (True, 4, 1)


def test_it_gives_up_after_max_attempts_and_reports_every_unsent_event() -> None:
    fake = FakeIngest([error_response(503, "unavailable") for _ in range(3)])
    sleeps = Sleeps()
    pub = publisher(fake, sleeps, retry=RetryPolicy(max_attempts=3), max_events=2)
    report = pub.publish(event(n) for n in range(5))
    assert len(fake.requests) == 3
    assert len(sleeps.waits) == 2
    assert (report.accepted, report.unsent, report.ok) == (0, 5, False)
    assert report.stopped is not None
    assert "gave up after 3 attempts (HTTP 503 unavailable)" in report.stopped


def test_retry_after_as_an_http_date_and_junk() -> None:
    assert parse_retry_after("Fri, 01 May 2026 12:00:07 GMT", NOW) == 7
    assert parse_retry_after("Fri, 01 May 2026 11:00:00 GMT", NOW) == 0
    assert parse_retry_after("2.5", NOW) == 2.5
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_422_names_the_event_its_source_line_and_the_field() -> None:
    details = [
        {"index": 1, "line": None, "event_id": "e-2", "field": "value", "code": "value_out_of_range",
         "message": "value 7 is outside 1..5"},
    ]  # fmt: skip
    fake = FakeIngest([error_response(422, "invalid_events", details=details)])
    events = [event(1, where="a.jsonl line 1"), event(2, where="a.jsonl line 2")]
    report = publisher(fake).publish(events)
    assert (report.accepted, report.rejected, report.ok) == (0, 2, False)
    [problem] = report.problems
    assert (problem.where, problem.event_id, problem.field, problem.code) == (
        "a.jsonl line 2",
        "e-2",
        "value",
        "value_out_of_range",
    )
    assert str(problem) == (
        "a.jsonl line 2 (event_id 'e-2'), field 'value': value_out_of_range — value 7 is outside 1..5"
    )


def test_skip_invalid_resends_the_rest_of_the_request_without_the_bad_events() -> None:
    details = [
        {"index": 0, "event_id": "e-1", "field": "qsmo", "code": "unknown_qsmo", "message": "?"}
    ]
    fake = FakeIngest([error_response(422, "invalid_events", details=details)])
    report = publisher(fake).publish([event(1), event(2), event(3)], skip_invalid=True)
    assert [[e["event_id"] for e in r] for r in fake.requests] == [
        ["e-1", "e-2", "e-3"],
        ["e-2", "e-3"],
    ]
    assert (report.accepted, report.rejected) == (2, 1)


def test_other_batches_are_still_sent_after_a_refused_one() -> None:
    fake = FakeIngest([error_response(422, "invalid_request", message="bad body")])
    report = publisher(fake, max_events=2).publish(event(n) for n in range(4))
    assert (report.accepted, report.rejected) == (2, 2)
    assert [str(p) for p in report.problems] == ["request: invalid_request — bad body"]


def test_413_splits_the_batch() -> None:
    fake = FakeIngest([error_response(413, "payload_too_large")])
    report = publisher(fake).publish(event(n) for n in range(4))
    assert [len(r) for r in fake.requests] == [4, 2, 2]
    assert report.accepted == 4


def test_a_wrong_key_stops_at_once_without_retrying() -> None:
    fake = FakeIngest(key="another-key")
    sleeps = Sleeps()
    with pytest.raises(AuthenticationError, match="needs an API key"):
        publisher(fake, sleeps).publish([event(1)])
    assert sleeps.waits == []


def test_a_viewer_key_is_refused_as_a_whole_but_a_foreign_qsmo_only_for_its_batch() -> None:
    whole = FakeIngest([error_response(403, "forbidden", message="viewer keys may not publish")])
    with pytest.raises(AuthenticationError, match="viewer keys"):
        publisher(whole).publish([event(1)])
    details = [
        {
            "index": 0,
            "event_id": "e-1",
            "field": "qsmo",
            "code": "qsmo_not_allowed",
            "message": "no",
        }
    ]
    foreign = FakeIngest([error_response(403, "forbidden", details=details)])
    report = publisher(foreign).publish([event(1, qsmo="grants-management")])
    assert report.rejected == 1
    assert report.problems[0].code == "qsmo_not_allowed"


def test_raw_documents_are_sent_exactly_as_read() -> None:
    fake = FakeIngest()
    document = {"event_id": "r-1", "qsmo": "cybersecurity", "measure": "m", "value": "4,5", "x": 1}
    publisher(fake).publish([RawEvent(document, "f.csv line 2")])
    assert fake.requests == [[document]]


def test_events_check_their_id_and_leave_out_absent_fields() -> None:
    with pytest.raises(ValueError, match="event_id"):
        event(1, event_id="has space")
    assert event(1).to_document() == {
        "event_id": "e-1",
        "qsmo": "cybersecurity",
        "measure": "customer-engagement",
        "value": 1,
        "occurred_at": "2026-04-01T12:00:00Z",
    }


def test_plan_batches_puts_a_huge_event_in_a_batch_of_its_own() -> None:
    events = [event(1), event(2, attributes={"blob": "x" * 500}), event(3)]
    assert [len(b) for b in plan_batches(events, 1000, 300)] == [1, 1, 1]


def test_an_event_names_its_provider_only_when_it_has_one() -> None:
    fake = FakeIngest()
    publisher(fake).publish(
        [event(1, provider="cisa-cyber-shared-services", agency="DHS"), event(2)]
    )
    first, second = fake.requests[0]
    assert (first["provider"], first["agency"]) == ("cisa-cyber-shared-services", "DHS")
    assert "provider" not in second
