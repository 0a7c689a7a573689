"""Opaque, newest-first cursors and pages, independent of GraphQL and of the store.

A cursor is ``base64url(JSON [timestamp, id])``: the position of an item in a list sorted
by time then id, both descending. Callers must treat it as opaque.
"""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from gateway.errors import BadUserInputError

T = TypeVar("T")


@dataclass(frozen=True)
class Position:
    """Where an item sits in a newest-first list."""

    at: datetime
    id: str


def encode_cursor(position: Position) -> str:
    raw = json.dumps([position.at.isoformat(), position.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    """The position a cursor names; BAD_USER_INPUT for anything this API did not hand out."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, item_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return Position(datetime.fromisoformat(at), str(item_id))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadUserInputError(
            "'after' is not a cursor from this API; pass a previous page's endCursor.",
            field="after",
        ) from None


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of items with their cursors; ``has_next_page`` when more follow."""

    edges: Sequence[tuple[str, T]]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return self.edges[-1][0] if self.edges else None

    @classmethod
    def from_overfetch(
        cls, items: Sequence[T], size: int, position: Callable[[T], Position]
    ) -> "Page[T]":
        """A page from up to ``size + 1`` items (the extra one only says a next page exists)."""
        shown = items[:size]
        return cls([(encode_cursor(position(i)), i) for i in shown], len(items) > size)
