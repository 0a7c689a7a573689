"""Closing survey waves: by an admin, or by themselves once ``closes_on`` has ended.

A close is one compare-and-set on the open wave's document (``revision``): the closed status
and one ``customer-satisfaction`` event per committed response (``pending_events``, checked
as ingest checks events) in the same update; then the tool-event outbox publishes them
(``flush`` now, the sweep if that fails). A batch committed meanwhile moves the revision, so
the close reads the responses again and retries.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from gateway.provider_tools.events import ToolEventInvalidError, ToolEventOutbox, owed_event
from gateway.provider_tools.survey_store import StoredWave, SurveyStore
from shared.domain import survey
from shared.domain.catalog import Catalog
from shared.domain.providers import ProviderRegistry
from shared.domain.survey import (
    TOOL,
    Problem,
    SurveyCatalog,
    SurveyRejected,
    SurveyResponse,
    SurveyWave,
)

log = logging.getLogger(__name__)
ATTEMPTS = 5


class WaveCloser:
    """Closes waves and owes their events; ``start`` runs ``close_due`` every ``interval_s``."""

    def __init__(
        self,
        store: SurveyStore,
        outbox: ToolEventOutbox,
        *,
        catalog: Catalog,
        survey_catalog: SurveyCatalog,
        providers: Callable[[], Awaitable[ProviderRegistry]],
        stored: Callable[[str], Awaitable[StoredWave]],
        clock: Callable[[], datetime],
        interval_s: float,
    ) -> None:
        self.store = store
        self.survey_catalog = survey_catalog
        self._outbox = outbox
        self._catalog = catalog
        self._providers = providers
        self.stored = stored
        self._clock = clock
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def close(self, wave_id: str) -> SurveyWave:
        """Close the wave now; ``SurveyRejected`` if it is closed already."""
        for _ in range(ATTEMPTS):
            current = await self.stored(wave_id)
            now = self._clock()
            closed = survey.close_wave(current.wave, now)
            responses = await self.store.responses(current)
            events = await self._owed(closed, responses, now)
            if await self.store.close(closed, current.revision, events):
                await self._outbox.flush(TOOL, wave_id)
                return closed
        raise SurveyRejected([Problem("wave", "responses kept arriving; try closing again")])

    async def _owed(
        self, wave: SurveyWave, responses: Sequence[SurveyResponse], now: datetime
    ) -> list[dict[str, object]]:
        registry = await self._providers()
        owed: list[dict[str, object]] = []
        problems: list[Problem] = []
        for observation in survey.satisfaction_events(wave, responses, self.survey_catalog):
            try:
                owed.append(
                    owed_event(
                        self._catalog,
                        registry,
                        tool=TOOL,
                        doc_id=wave.id,
                        event_id=observation.event_id,
                        qsmo=observation.qsmo,
                        measure=observation.measure,
                        value=observation.value,
                        occurred_at=observation.occurred_at,
                        now=now,
                        provider=observation.provider,
                        agency=observation.agency,
                    )
                )
            except ToolEventInvalidError as invalid:
                problems.append(Problem("wave", f"{observation.event_id}: {invalid}"))
        if problems:
            raise SurveyRejected(problems)
        return owed

    async def close_due(self) -> list[str]:
        """Close every open wave whose ``closes_on`` has ended; the ids closed."""
        now = self._clock()
        closed: list[str] = []
        for wave in await self.store.waves():
            if wave.due_to_close(now):
                try:
                    closed.append((await self.close(wave.id)).id)
                except Exception as error:  # one wave's problem must not stop the others
                    log.warning(
                        "survey wave not closed", extra={"wave": wave.id, "error": str(error)}
                    )
        return closed

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="gateway-survey-closer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.close_due()
            except Exception as error:  # store away: try again next time
                log.warning("survey waves not checked", extra={"error": str(error)})
            await asyncio.sleep(self._interval_s)
