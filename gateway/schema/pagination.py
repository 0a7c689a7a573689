"""Relay-style connections: ``edges { cursor node }``, ``nodes`` and ``pageInfo``."""

from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry

from gateway.pagination import Page
from gateway.schema import fields

NodeT = TypeVar("NodeT")
ModelT = TypeVar("ModelT")


@strawberry.type(description="Where a page ends and whether another follows.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` to get the next page (opaque)."
    )


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type(description="A page of a newest-first list.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo

    @fields.field(description="The nodes of `edges`, for clients that need no cursors.")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


def connection(page: Page[ModelT], convert: Callable[[ModelT], NodeT]) -> Connection[NodeT]:
    """The connection of a store page, each item converted to its GraphQL type."""
    return Connection(
        edges=[Edge(cursor=cursor, node=convert(item)) for cursor, item in page.edges],
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
    )
