"""Reading JSON bodies: shapes, limits, and pydantic's errors as messages people can act on."""

import json
from typing import Any

import pytest
from ingest_support import event, events

from services.ingest.errors import InvalidRequestError, PayloadTooLargeError
from services.ingest.validation import parse_json_body, submission_from_documents


def parse(body: Any, max_events: int = 1000) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_json_body(raw, max_events)


def test_one_event_and_a_batch_give_the_same_events() -> None:
    single = parse(event())
    batch = parse({"events": [event()]})
    assert single.events == batch.events
    assert single.events[0] is not None
    assert single.events[0].value == 4.5
    assert single.event_ids == ("cyber-0001",)
    assert single.qsmos == ("cybersecurity",)
    assert single.problems == ()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{", "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[]", 'Wrap a list of events as {"events"'),
        (b"42", "got a number"),
        (b'{"events": {}}', "must be an array"),
        (b'{"events": []}', "got an empty array"),
        (b'{"events": [], "extra": 1}', 'exactly one field, "events"'),
    ],
)
def test_unreadable_bodies_are_refused_whole(body: bytes, expected: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse(body)
    assert expected in caught.value.message


def test_more_events_than_allowed_is_too_large() -> None:
    with pytest.raises(PayloadTooLargeError, match="3 events; at most 2"):
        parse({"events": events(3)}, max_events=2)


def _problems(document: Any) -> list[tuple[str | None, str]]:
    submission = parse({"events": [event(event_id="ok-1"), document]})
    assert submission.events[0] is not None, "a valid neighbour stays valid"
    assert all(p.index == 1 for p in submission.problems)
    return [(p.field, p.code) for p in submission.problems]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (event(value="4.5"), [("value", "wrong_type")]),
        (event(value=True), [("value", "wrong_type")]),
        (event(value=None), [("value", "wrong_type")]),
        (event(value=...), [("value", "missing_field")]),
        (event(qsmo="Cyber Security"), [("qsmo", "invalid_format")]),
        (event(event_id=""), [("event_id", "invalid_format")]),
        (event(event_id="x" * 129), [("event_id", "invalid_format")]),
        (event(event_id=7), [("event_id", "wrong_type")]),
        (event(occurred_at="2024-05-01T12:00:00"), [("occurred_at", "timestamp_without_offset")]),
        (event(occurred_at="yesterday"), [("occurred_at", "timestamp_invalid")]),
        (event(occurred_at=1714564800), [("occurred_at", "wrong_type")]),
        (event(valeu=3), [("valeu", "unknown_field")]),
        (event(schema_version=3), [("schema_version", "unsupported_schema_version")]),
        (event(attributes=[1]), [("attributes", "invalid_attribute")]),
        (event(attributes={"a b": 1}), [("attributes.a b", "invalid_attribute")]),
        (event(attributes={"nested": {"x": 1}}), [("attributes.nested", "invalid_attribute")]),
        (event(attributes={f"k{i}": i for i in range(51)}), [("attributes", "invalid_attribute")]),
        ("not an object", [(None, "not_an_object")]),
    ],
)
def test_type_errors_name_the_field_and_a_stable_code(
    document: Any, expected: list[tuple[str | None, str]]
) -> None:
    assert _problems(document) == expected


def test_messages_say_what_was_sent_and_what_to_send() -> None:
    submission = parse({"events": [event(value="4.5", valeu=1, occurred_at="2024-05-01T12:00:00")]})
    messages = {p.field: p.message for p in submission.problems}
    assert "send the number without quotes" in messages["value"]
    assert "did you mean 'value'?" in messages["valeu"]
    assert "2024-05-01T12:00:00Z" in messages["occurred_at"]
    assert all(p.event_id == "cyber-0001" for p in submission.problems)


def test_one_union_error_per_bad_attribute_value() -> None:
    submission = parse({"events": [event(attributes={"tags": ["a"], "n": None})]})
    assert [(p.field, p.code) for p in submission.problems] == [
        ("attributes.tags", "invalid_attribute"),
        ("attributes.n", "invalid_attribute"),
    ]
    assert (
        "a string of at most 1024 characters, a number or a boolean"
        in submission.problems[0].message
    )


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_attribute_numbers_are_refused(literal: str) -> None:
    body = json.dumps({"events": [event()]})[:-3] + f', "attributes": {{"x": {literal}}}}}]}}'
    submission = parse(body.encode())
    assert submission.events == (None,)
    assert [(p.field, p.code) for p in submission.problems] == [
        ("attributes.x", "invalid_attribute")
    ]


def test_attribute_integers_must_fit_64_bits() -> None:
    fits = parse({"events": [event(attributes={"n": 2**63 - 1, "m": -(2**63)})]})
    assert fits.problems == ()
    submission = parse({"events": [event(attributes={"n": 2**63})]})
    assert [(p.field, p.code) for p in submission.problems] == [
        ("attributes.n", "invalid_attribute")
    ]
    assert "beyond 64 bits" in submission.problems[0].message


def test_long_inputs_are_cut_in_messages() -> None:
    submission = parse({"events": [event(source="x" * 5000)]})
    assert len(submission.problems[0].message) < 300


def test_documents_path_keeps_valid_events_in_place() -> None:
    submission = submission_from_documents(
        [event(), 5, event(event_id="cyber-0002")], lines=(2, 3, 4)
    )
    assert submission.events[0] is not None
    assert submission.events[2] is not None
    assert submission.events[1] is None
    assert submission.line_of(1) == 3
    assert submission.event_ids == ("cyber-0001", None, "cyber-0002")
