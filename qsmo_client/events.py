"""Performance events as the ingest API takes them (docs/ingest.md), and stable event ids.

The client never changes an ``event_id``: it is the idempotency key, so a retried request
can never count twice. Rows that come without an id get one derived from their content, the
file's name and how often the same content appeared before in that file (see
``derived_event_id``) — the same file sent twice yields the same ids.
"""

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

EVENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:/@+=-]{1,128}$")
"""What ingest accepts as an ``event_id``."""

AttributeValue = str | int | float | bool


class Publishable(Protocol):
    """Anything the publisher can send: an id, a JSON document and where it came from."""

    @property
    def event_id(self) -> str: ...

    @property
    def where(self) -> str | None: ...

    def to_document(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Event:
    """One observation pushed by a QSMO system.

    ``occurred_at`` is an RFC 3339 timestamp with an offset (``2024-05-01T14:30:00-04:00``);
    ``provider`` the id of the shared service provider that delivered the service (event
    schema version 2; ingest checks it against the provider registry); ``where`` only labels
    the event in reports (it is not sent).
    """

    event_id: str
    qsmo: str
    measure: str
    value: float
    occurred_at: str
    agency: str | None = None
    provider: str | None = None
    source: str | None = None
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    where: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not EVENT_ID_PATTERN.match(self.event_id):
            raise ValueError(
                f"event_id {self.event_id!r} must be 1–128 characters of A–Z a–z 0–9 . _ : / @ + = -"
            )

    def to_document(self) -> dict[str, Any]:
        """The JSON object ingest expects (optional fields left out when absent)."""
        document: dict[str, Any] = {
            "event_id": self.event_id,
            "qsmo": self.qsmo,
            "measure": self.measure,
            "value": self.value,
            "occurred_at": self.occurred_at,
        }
        if self.agency is not None:
            document["agency"] = self.agency
        if self.provider is not None:
            document["provider"] = self.provider
        if self.source is not None:
            document["source"] = self.source
        if self.attributes:
            document["attributes"] = dict(self.attributes)
        return document


@dataclass(frozen=True)
class RawEvent:
    """An event document read from a file, sent as it is so ingest judges every field."""

    document: Mapping[str, Any]
    where: str | None = None

    @property
    def event_id(self) -> str:
        value = self.document.get("event_id")
        return value if isinstance(value, str) else ""

    def to_document(self) -> dict[str, Any]:
        return dict(self.document)


def canonical_json(document: Mapping[str, Any]) -> str:
    """Key-sorted, whitespace-free JSON: equal documents give equal text."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def derived_event_id(file_name: str, document: Mapping[str, Any], occurrence: int) -> str:
    """A stable id for a row that has none: ``push-`` and 40 hex digits of a SHA-256.

    It hashes the file's base name, the row's content (key order and whitespace do not
    matter) and ``occurrence`` — how many identical rows came before it in the file — so two
    identical rows stay two events, re-sending the file never double counts, and editing a
    row makes it a new event.
    """
    content = {key: value for key, value in document.items() if key != "event_id"}
    text = f"{file_name}\n{canonical_json(content)}\n{occurrence}"
    return "push-" + hashlib.sha256(text.encode()).hexdigest()[:40]
