"""The JSON shapes of ingest's API: the batch body, the 202 answer and the error body."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.ingest.settings import MAX_EVENTS_PER_REQUEST
from shared.events import PerformanceEvent


class EventBatch(BaseModel):
    """A request body carrying several events: ``{"events": [ … ]}``."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    events: Annotated[
        list[PerformanceEvent], Field(min_length=1, max_length=MAX_EVENTS_PER_REQUEST)
    ]


class AcceptedResponse(BaseModel):
    """202: every event of the request is durably stored in Kafka."""

    accepted: int = Field(description="How many events the request carried (all accepted).")
    event_ids: list[str] = Field(description="The accepted events' ids, in request order.")
    request_id: str = Field(description="This request's id (also in the X-Request-ID header).")


class ErrorDetail(BaseModel):
    """One problem: which event (index, CSV line, event_id), which field, and what to do."""

    index: int | None = Field(
        default=None, description="0-based position of the event in the request."
    )
    line: int | None = Field(default=None, description="CSV line (1 = header); CSV only.")
    event_id: str | None = Field(default=None, description="The event's id, when it has one.")
    field: str | None = Field(
        default=None, description="Dotted path of the field, e.g. value, attributes.region."
    )
    code: str = Field(description="Stable machine-readable code, e.g. value_out_of_range.")
    message: str = Field(description="What is wrong and how to fix it, for a person.")


class ErrorInfo(BaseModel):
    """The error itself."""

    code: str = Field(description="Stable machine-readable code, e.g. invalid_events.")
    message: str = Field(description="What happened and what to do, for a person.")
    request_id: str = Field(description="Quote it when asking the platform team for help.")
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    """Every error answer of the ingest API has this shape."""

    error: ErrorInfo
