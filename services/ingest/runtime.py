"""The objects one running ingest app works with, and the FastAPI dependencies reaching them."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry

from services.ingest.handlers import IngestContext
from services.ingest.metrics import IngestMetrics
from services.ingest.ports import EventPublisher
from services.ingest.request_context import RequestRecord, new_request_id
from services.ingest.settings import IngestSettings
from shared.api_keys import ApiKeyRing
from shared.identity.bearer import BearerAuthenticator


@dataclass(frozen=True)
class IngestRuntime:
    """Built once by ``bootstrap.create_app``; kept on ``app.state.runtime``."""

    settings: IngestSettings
    key_ring: ApiKeyRing
    context: IngestContext
    publisher: EventPublisher
    registry: CollectorRegistry
    metrics: IngestMetrics
    authenticator: BearerAuthenticator | None = None
    """Keys and OpenID Connect tokens (``shared.identity``); None: keys only, nothing counted."""

    def bearer_authenticator(self) -> BearerAuthenticator:
        """What authenticates a bearer value: the configured one, or the key ring alone."""
        return self.authenticator or BearerAuthenticator(self.key_ring)


def get_runtime(request: Request) -> IngestRuntime:
    """The app's runtime (a FastAPI dependency)."""
    runtime: IngestRuntime = request.app.state.runtime
    return runtime


def get_record(request: Request) -> RequestRecord:
    """This request's record, created by ``RequestContextMiddleware``."""
    record = getattr(request.state, "record", None)
    if record is None:  # an app assembled without the middleware still answers
        record = RequestRecord(request_id=new_request_id(request.scope))
        request.state.record = record
    assert isinstance(record, RequestRecord)
    return record


RuntimeDep = Annotated[IngestRuntime, Depends(get_runtime)]
RecordDep = Annotated[RequestRecord, Depends(get_record)]
