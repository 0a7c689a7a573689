"""The gateway's HTTP face: ``/graphql`` (queries, mutations, GraphiQL, websockets) and ops.

Thin on purpose: the router runs the schema with a context built per request by
``gateway.context.get_context``; websockets authenticate in ``connection_init``.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timedelta

import pydantic_core
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.websockets import WebSocket, WebSocketState
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from gateway.auth import authorization_param, identify_caller
from gateway.context import GatewayContext, get_context
from gateway.dashboard import mount_dashboard
from gateway.graphiql import graphiql_page, mount_graphiql_assets
from gateway.ports import Clock
from gateway.provider_tools import survey_http
from gateway.provider_tools.data_call_http import data_call_router
from gateway.result_cache import ResultCache
from gateway.reviews import packet_http
from gateway.runtime import GatewayRuntime
from gateway.schema.build import build_schema
from shared.observability import ReadinessCheck, health_router

GRAPHQL_PATH = "/graphql"
MAX_BODY_BYTES = 1024 * 1024
"""Larger request bodies get 413 while they are read (a query is a few kilobytes)."""
DESCRIPTION = """One GraphQL API over the QSMO performance platform: the framework, measure
values, scorecards, notifications, commentary and improvement actions, with live updates over
graphql-transport-ws. Every request needs an API key. See docs/graphql.md."""


class GatewayRouter(GraphQLRouter[GatewayContext, None]):
    """Authenticates websocket connections from their ``connection_init`` payload, parses
    request JSON so that hostile input is a 400, never a 500, and serves GraphiQL from the
    gateway's own files (``gateway/graphiql``), never from a CDN."""

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return graphiql_page()

    def decode_json(self, data: str | bytes) -> object:
        # pydantic-core's parser has no recursion limit problem (``[`` × 5000 made the stdlib
        # parser raise RecursionError) and refuses lone surrogates, which the store cannot
        # encode; strawberry answers a JSONDecodeError with 400.
        try:
            parsed = pydantic_core.from_json(data)
        except ValueError as error:
            raise json.JSONDecodeError(str(error), "", 0) from None
        if not isinstance(parsed, dict | list):
            raise json.JSONDecodeError("a GraphQL request must be a JSON object", "", 0)
        return parsed

    async def on_ws_connect(self, context: GatewayContext) -> UnsetType | dict[str, object] | None:
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        authorization = authorization_param(params)
        if authorization is None and context.request is not None:
            authorization = context.request.headers.get("authorization")
        caller = await identify_caller(context.runtime.bearer_authenticator(), authorization)
        if caller.principal is None:
            raise ConnectionRejectionError({"message": caller.problem or "unauthenticated"})
        context.caller = caller
        expires_at = caller.principal.person.expires_at if caller.principal.person else None
        if expires_at is not None and isinstance(context.request, WebSocket):
            close_when_expired(context.request, expires_at, context.runtime.clock)
        return {"keyId": caller.principal.key_id, "role": caller.principal.role.value}


TOKEN_EXPIRED_CLOSE = 4401
"""graphql-transport-ws's "Unauthorized": the connection's sign-in token expired."""
_EXPIRY_WATCHES: set[asyncio.Task[None]] = set()


def close_when_expired(websocket: WebSocket, expires_at: datetime, clock: Clock) -> None:
    """Close a websocket opened with a sign-in token when the token expires (code 4401); the
    client signs in again and reconnects. A connection that ended before is left alone."""

    async def watch() -> None:
        await asyncio.sleep(max(0.0, (expires_at - clock()).total_seconds()))
        if websocket.client_state is WebSocketState.CONNECTED:
            with suppress(RuntimeError):  # closed meanwhile
                await websocket.close(TOKEN_EXPIRED_CLOSE, "the sign-in token expired")

    task = asyncio.create_task(watch())
    _EXPIRY_WATCHES.add(task)  # held until done (asyncio keeps only weak references)
    task.add_done_callback(_EXPIRY_WATCHES.discard)


Lifecycle = Callable[[], Awaitable[None]]


def assemble(
    runtime: GatewayRuntime,
    *,
    on_start: Lifecycle | None = None,
    on_stop: Lifecycle | None = None,
    checks: Mapping[str, ReadinessCheck] | None = None,
    results: ResultCache | None = None,
) -> FastAPI:
    """The FastAPI app around ``runtime``; ``on_start``/``on_stop`` bracket its lifespan;
    ``results`` answers cacheable scorecard queries (``gateway.result_cache``)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if on_start is not None:
            await on_start()
        try:
            yield
        finally:
            if on_stop is not None:
                await on_stop()

    settings = runtime.settings
    schema = build_schema(runtime.limits, runtime.metrics, results)
    router = GatewayRouter(
        schema,
        context_getter=get_context,
        graphql_ide="graphiql" if settings.graphiql else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        connection_init_wait_timeout=timedelta(seconds=settings.connection_init_timeout_s),
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
    )
    app = FastAPI(
        title="QSMO GraphQL gateway",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        max_body_size=MAX_BODY_BYTES,
    )
    app.state.runtime = runtime
    app.state.schema = schema
    app.state.results = results
    app.include_router(router, prefix=GRAPHQL_PATH)
    app.include_router(health_router(runtime.registry, checks or {}))
    app.include_router(data_call_router())  # the data call's Excel template and upload
    app.include_router(survey_http.router)  # POST /v1/surveys/{wave}/responses
    app.include_router(packet_http.router)  # GET /v1/reviews/{id}/packet.pdf|.xlsx|.csv
    if settings.graphiql:
        mount_graphiql_assets(app)  # GraphiQL's files under /graphiql/ (its page: GET /graphql)
    # The dashboard page at / (gateway/dashboard, a client of /graphql) and its sign-in options.
    mount_dashboard(app, runtime.sign_in)
    return app
