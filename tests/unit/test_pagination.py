"""The one cursor format: round trips, and a clear refusal of anything else."""

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.pagination import (
    MAX_PAGE_SIZE,
    InvalidCursorError,
    InvalidPageSizeError,
    Position,
    check_page_size,
    decode_after,
    decode_cursor,
    encode_cursor,
)

AT = datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


@given(
    at=st.datetimes(timezones=st.just(UTC)),
    item_id=st.text(min_size=1, max_size=80),
    list_name=st.sampled_from(["notifications", "auditLog", "commentary", "improvementActions"]),
)
def test_a_cursor_round_trips_in_its_list(at: datetime, item_id: str, list_name: str) -> None:
    cursor = encode_cursor(list_name, Position(at, item_id))
    assert decode_cursor(list_name, cursor) == Position(at, item_id)
    assert "=" not in cursor
    assert cursor.isascii()


def test_naive_and_offset_times_are_written_as_utc() -> None:
    naive = encode_cursor("notifications", Position(AT.replace(tzinfo=None), "n1"))
    assert decode_cursor("notifications", naive) == Position(AT, "n1")
    eastern = AT.astimezone(timezone(timedelta(hours=-5)))
    assert decode_cursor("notifications", encode_cursor("notifications", Position(eastern, "n1")))
    assert encode_cursor("notifications", Position(eastern, "n1")) == naive


def test_a_cursor_of_another_list_is_refused_naming_both_lists() -> None:
    cursor = encode_cursor("auditLog", Position(AT, "chg_1"))
    with pytest.raises(InvalidCursorError) as refused:
        decode_cursor("notifications", cursor)
    assert str(refused.value) == (
        "after: this cursor belongs to the auditLog list, not to notifications; pass the "
        "endCursor of a previous notifications page, or omit after to start at the newest."
    )
    assert refused.value.field == "after"


def _raw(cursor: str) -> str:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()


def _token(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def test_an_altered_cursor_is_refused() -> None:
    cursor = encode_cursor("notifications", Position(AT, "ntf_01"))
    check, _, body = _raw(cursor).partition(".")
    altered = [
        _token(f"{check}.{body.replace('ntf_01', 'ntf_02')}"),  # another position, old check
        _token(f"{check}.{body.replace('notifications', 'auditLog')}"),  # relabelled
        _token(f"00000000.{body}"),
        cursor[:-2],
        cursor + "A",
    ]
    for tampered in altered:
        with pytest.raises(InvalidCursorError, match="malformed or altered"):
            decode_cursor("notifications", tampered)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "junk",
        "garbage!",
        "ö",
        "x" * 5000,
        _token("not json"),
        _token(json.dumps(["2025-03-01T12:00:00+00:00", "n1"])),  # the old notifications format
        base64.urlsafe_b64encode(b"audit:chg_1").decode(),  # the old auditLog format
    ],
)
def test_malformed_cursors_are_refused_with_the_fix(cursor: str) -> None:
    with pytest.raises(InvalidCursorError) as refused:
        decode_cursor("notifications", cursor)
    assert "pass a previous page's endCursor unchanged, or omit after" in str(refused.value)


def _signed(document: object) -> str:
    body = json.dumps(document, separators=(",", ":"), sort_keys=True)
    return _token(f"{hashlib.sha256(body.encode()).hexdigest()[:8]}.{body}")


@pytest.mark.parametrize(
    "document",
    [
        {"at": "2025-03-01T12:00:00+00:00", "id": "n1", "list": "notifications", "v": 2},
        {"at": "2025-03-01T12:00:00", "id": "n1", "list": "notifications", "v": 1},
        {"at": "2025-03-01T12:00:00+00:00", "id": 7, "list": "notifications", "v": 1},
        {"at": "2025-03-01T12:00:00+00:00", "id": "n1", "list": "<script>", "v": 1},
        {"at": "yesterday", "id": "n1", "list": "notifications", "v": 1},
        {"id": "n1", "list": "notifications", "v": 1},
        ["2025-03-01T12:00:00+00:00", "n1"],
    ],
)
def test_well_checked_but_wrong_documents_are_refused(document: object) -> None:
    with pytest.raises(InvalidCursorError, match="malformed or altered"):
        decode_cursor("notifications", _signed(document))


def test_no_after_means_from_the_newest() -> None:
    assert decode_after("notifications", None) is None
    cursor = encode_cursor("notifications", Position(AT, "n1"))
    assert decode_after("notifications", cursor) == Position(AT, "n1")


def test_positions_order_by_time_then_id() -> None:
    assert Position(AT, "b") > Position(AT, "a") > Position(AT - timedelta(seconds=1), "z")


def test_page_sizes_are_checked_against_the_limit() -> None:
    assert check_page_size(1) == 1
    assert check_page_size(MAX_PAGE_SIZE) == MAX_PAGE_SIZE
    for bad in (0, -1, MAX_PAGE_SIZE + 1):
        with pytest.raises(
            InvalidPageSizeError, match=f"first: must be between 1 and 100, not {bad}"
        ):
            check_page_size(bad)
    with pytest.raises(InvalidPageSizeError, match="between 1 and 20"):
        check_page_size(21, maximum=20)


def test_list_names_are_identifiers() -> None:
    with pytest.raises(ValueError, match="list name"):
        encode_cursor("audit log", Position(AT, "x"))
