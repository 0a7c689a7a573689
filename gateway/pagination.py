"""The API's paged lists: ``shared.pagination``'s cursors, as pages of edges and GraphQL errors.

Every connection pages the same way: decode ``after`` for its list (``after_position``), ask
the store for ``first + 1`` items older than that position, and build the page with
``Page.from_overfetch`` (each edge's cursor names the list and the item's position). A bad
``after`` is ``BAD_USER_INPUT`` on the field ``after``.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from gateway.errors import BadUserInputError
from shared.pagination import InvalidCursorError, Position, decode_after, encode_cursor

__all__ = ["Page", "PagedList", "Position", "after_position"]

T = TypeVar("T")


class PagedList(StrEnum):
    """The lists the API pages; a cursor is valid only in the list that handed it out."""

    NOTIFICATIONS = "notifications"
    NOTIFICATION_DELIVERIES = "notificationDeliveries"
    AUDIT_LOG = "auditLog"
    COMMENTARY = "commentary"
    IMPROVEMENT_ACTIONS = "improvementActions"
    REVIEWS = "reviews"
    ACTIVITY_LOG = "activityLog"
    REVISION_PROPOSALS = "revisionProposals"


def after_position(paged: PagedList, after: str | None) -> Position | None:
    """The position ``after`` names in ``paged`` (None: from the newest); BAD_USER_INPUT for
    anything that list did not hand out."""
    try:
        return decode_after(paged.value, after)
    except InvalidCursorError as error:
        raise BadUserInputError(str(error), field="after") from None


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
        cls,
        paged: PagedList,
        items: Sequence[T],
        size: int,
        position: Callable[[T], Position],
    ) -> "Page[T]":
        """A page from up to ``size + 1`` items (the extra one only says a next page exists)."""
        shown = items[:size]
        edges = [(encode_cursor(paged.value, position(item)), item) for item in shown]
        return cls(edges, len(items) > size)
