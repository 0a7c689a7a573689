"""The one pagination scheme of every list the API pages: positions, opaque cursors, page sizes.

Every paged list is newest first, by a timestamp then an id (both descending), so a
``Position(at, id)`` says where an item sits and "after" means "older than". Stores take a
``Position`` (or None: from the newest) and return up to ``first + 1`` items, the extra one
only saying that a next page exists (``has_next_page``).

A cursor is the position written for a client: ``base64url("<check>.<json>")`` with the JSON
``{"at": <ISO 8601 UTC>, "id": <item id>, "list": <the list's name>, "v": 1}`` and ``check``
the first 8 hex digits of the JSON's SHA-256. Clients treat it as opaque. The list name
makes a cursor of one list (say ``auditLog``) a clear error in another (``notifications``);
the check makes an altered cursor a clear error instead of a silently different page. It is
not a secret: a position holds nothing the caller could not read, filters are applied anew
on every page.

No I/O and no GraphQL here; ``InvalidCursorError`` and ``InvalidPageSizeError`` say what is
wrong (naming ``after`` or ``first``) and the callers turn them into their own errors.
"""

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

MAX_PAGE_SIZE = 100
"""The API's hard limit on ``first``: settings may lower it, never raise it."""
MAX_CURSOR_LENGTH = 1024
"""Longer ``after`` values are refused before decoding (cursors this API makes are ~150)."""
CURSOR_VERSION = 1
_CHECK_DIGITS = 8
_LIST_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")


@dataclass(frozen=True, order=True)
class Position:
    """Where an item sits in a newest-first list: its timestamp, then its id."""

    at: datetime
    id: str


class PageRequestError(ValueError):
    """A page request this API cannot answer; ``field`` names the argument, ``str()`` the fix."""

    field = ""


class InvalidCursorError(PageRequestError):
    """An ``after`` that is not a cursor of this list (malformed, altered or another list's)."""

    field = "after"


class InvalidPageSizeError(PageRequestError):
    """A ``first`` outside ``1..maximum``."""

    field = "first"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _check(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:_CHECK_DIGITS]


def encode_cursor(list_name: str, position: Position) -> str:
    """The opaque cursor of ``position`` in the list ``list_name`` (e.g. ``"auditLog"``).

    A naive ``position.at`` is taken as UTC (the store's datetimes are UTC).
    """
    if not _LIST_NAME.match(list_name):
        raise ValueError(f"list name {list_name!r} must be a GraphQL-style name (letters, digits)")
    body = json.dumps(
        {"at": _utc(position.at).isoformat(), "id": position.id, "list": list_name, "v": 1},
        separators=(",", ":"),
        sort_keys=True,
    )
    token = f"{_check(body)}.{body}".encode()
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def decode_cursor(list_name: str, cursor: str) -> Position:
    """The position ``cursor`` stands for in the list ``list_name``.

    Raises ``InvalidCursorError`` for a cursor this API did not hand out (or that was
    altered), and for one handed out by another list.
    """
    origin, position = _read(cursor)
    if origin != list_name:
        raise InvalidCursorError(
            f"after: this cursor belongs to the {origin} list, not to {list_name}; pass the "
            f"endCursor of a previous {list_name} page, or omit after to start at the newest."
        )
    return position


def decode_after(list_name: str, after: str | None) -> Position | None:
    """``decode_cursor`` for an optional ``after`` argument (None: from the newest)."""
    return None if after is None else decode_cursor(list_name, after)


def _read(cursor: str) -> tuple[str, Position]:
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        check, _, body = raw.partition(".")
        if check != _check(body):
            raise ValueError("altered")
        data = json.loads(body)
        origin, at, item_id = data["list"], datetime.fromisoformat(data["at"]), data["id"]
        if data["v"] != CURSOR_VERSION or at.tzinfo is None:
            raise ValueError("unknown version")
        if not (isinstance(origin, str) and _LIST_NAME.match(origin) and isinstance(item_id, str)):
            raise ValueError("wrong types")
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursorError(
            "after: not a cursor this API handed out (malformed or altered); pass a previous "
            "page's endCursor unchanged, or omit after to start at the newest."
        ) from None
    return origin, Position(at, item_id)


def check_page_size(first: int, maximum: int = MAX_PAGE_SIZE) -> int:
    """``first`` if within ``1..maximum``; else ``InvalidPageSizeError`` naming the range."""
    if not 1 <= first <= maximum:
        raise InvalidPageSizeError(
            f"first: must be between 1 and {maximum}, not {first}; page through longer lists "
            "with after."
        )
    return first
