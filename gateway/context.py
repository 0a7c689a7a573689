"""The per-request context: who is calling, the runtime, and this request's DataLoaders.

``get_context`` is the ``GraphQLRouter``'s ``context_getter`` (a FastAPI dependency). The
loaders batch and cache reads for one operation only, so nested fields cost a bounded number
of round trips (``scorecards`` with every measure's commentary and actions: four) and a
long-lived websocket never serves stale data (each of its operations gets fresh loaders).
"""

import asyncio
from collections import defaultdict
from collections.abc import Iterator, Sequence

import strawberry
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension
from strawberry.fastapi import BaseContext

from gateway.analysis import Commentary, ImprovementAction
from gateway.analysis_store import ActionKey, CommentaryKey
from gateway.auth import ANONYMOUS, Caller, identify_caller
from gateway.errors import BadUserInputError
from gateway.runtime import GatewayRuntime
from services.scorecard.read_model import ScorecardView
from shared.api_keys import Principal
from shared.domain.catalog import Qsmo
from shared.domain.framework_changes import FrameworkState, provider_registry
from shared.domain.providers import ProviderRegistry

ScorecardKey = tuple[int, str | None, int | None]
"""(fiscal_year, qsmo or None for government-wide, phase override or None)"""


class Loaders:
    """Batched, per-operation reads."""

    def __init__(self, runtime: GatewayRuntime) -> None:
        self._runtime = runtime
        self._state: asyncio.Task[FrameworkState] | None = None
        self.scorecards: DataLoader[ScorecardKey, ScorecardView | None] = DataLoader(
            self._load_scorecards
        )
        self.latest_commentary: DataLoader[CommentaryKey, Commentary | None] = DataLoader(
            self._load_commentary
        )
        self.open_actions: DataLoader[ActionKey, list[ImprovementAction]] = DataLoader(
            self._load_actions
        )

    async def framework_state(self) -> FrameworkState:
        """The admin overrides and added QSMOs, read once per operation."""
        if self._state is None or (self._state.done() and self._state.exception()):
            self._state = asyncio.ensure_future(self._runtime.framework.state())
        return await asyncio.shield(self._state)

    def forget_framework_state(self) -> None:
        """After a framework change: the next read sees it."""
        self._state = None

    async def _load_scorecards(self, keys: list[ScorecardKey]) -> list[ScorecardView | None]:
        groups: dict[tuple[int, int | None], set[str | None]] = defaultdict(set)
        for fiscal_year, qsmo, phase in keys:
            groups[(fiscal_year, phase)].add(qsmo)
        found: dict[ScorecardKey, ScorecardView | None] = {}
        for (fiscal_year, phase), qsmos in groups.items():
            if len(qsmos) == 1:
                (qsmo,) = qsmos
                found[(fiscal_year, qsmo, phase)] = await self._runtime.scorecards.current(
                    fiscal_year, qsmo, phase
                )
                continue
            views = await self._runtime.scorecards.all_current(fiscal_year, phase)
            by_qsmo = {v.qsmo: v for v in views}
            for qsmo in qsmos:
                found[(fiscal_year, qsmo, phase)] = by_qsmo.get(qsmo)
        return [found[key] for key in keys]

    async def _load_commentary(self, keys: list[CommentaryKey]) -> list[Commentary | None]:
        latest = await self._runtime.analysis.latest_commentary(keys)
        return [latest.get(key) for key in keys]

    async def _load_actions(self, keys: list[ActionKey]) -> list[list[ImprovementAction]]:
        grouped = await self._runtime.analysis.open_actions(keys)
        return [grouped.get(key, []) for key in keys]


class GatewayContext(BaseContext):
    """What every resolver gets as ``info.context``."""

    def __init__(self, runtime: GatewayRuntime, caller: Caller = ANONYMOUS) -> None:
        super().__init__()
        self.runtime = runtime
        self.caller = caller
        self.loaders = Loaders(runtime)

    @property
    def principal(self) -> Principal:
        """The caller's principal (``UNAUTHENTICATED`` without a valid key)."""
        return self.caller.require()

    def for_operation(self) -> "GatewayContext":
        """A copy with fresh loaders, for one operation of a long-lived connection."""
        fresh = GatewayContext(self.runtime, self.caller)
        fresh.request, fresh.response = self.request, self.response
        fresh.connection_params = self.connection_params
        return fresh

    async def qsmos(self) -> Sequence[Qsmo]:
        """The catalog's QSMOs and those added by admins."""
        state = await self.loaders.framework_state()
        return (*self.runtime.catalog.qsmos, *state.added_qsmos)

    async def providers(self) -> ProviderRegistry:
        """The catalog's providers with admins' additions, updates and retirements (rev. 2)."""
        state = await self.loaders.framework_state()
        return provider_registry(self.runtime.catalog.providers, state)

    async def known_qsmo(self, qsmo: str | None, field: str = "qsmo") -> str | None:
        """``qsmo`` if it names a QSMO (None passes); BAD_USER_INPUT otherwise."""
        if qsmo is None:
            return None
        known = [q.id for q in await self.qsmos()]
        if qsmo not in known:
            raise BadUserInputError(
                f"unknown QSMO '{qsmo}' (known: {', '.join(known)})", field=field
            )
        return qsmo


Info = strawberry.Info[GatewayContext, None]


async def get_context(connection: HTTPConnection) -> GatewayContext:
    """The ``context_getter``: the runtime of the app and the caller of this request."""
    runtime: GatewayRuntime = connection.app.state.runtime
    authorization = connection.headers.get("authorization")
    return GatewayContext(
        runtime, await identify_caller(runtime.bearer_authenticator(), authorization)
    )


class FreshLoadersPerOperation(SchemaExtension):
    """Gives each operation on a websocket its own context copy (so its own loaders)."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, GatewayContext) and isinstance(context.request, WebSocket):
            self.execution_context.context = context.for_operation()
        yield
