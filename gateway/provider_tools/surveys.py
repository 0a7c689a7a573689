"""The customer-satisfaction survey's handlers: load → pure step (``shared.domain.survey*``) →
compare-and-set save → flush the outbox.

Admins (``MANAGE_SURVEYS``) create waves, set invited counts, import and record responses
and close waves; every key reads results, which are published only once a wave is closed
(live figures could be differenced between two reads to isolate one response). Free text
goes to admins and, for its own responses, the provider concerned. Refusals raise
``PermissionDenied``, ``SurveyRejected`` or ``SurveyNotFoundError``; nothing is stored then.

A response batch (one file, one web-form answer) is all or nothing: every row is checked
before anything is written, then the batch is written and committed on the open wave
(``gateway.provider_tools.survey_store``). Closing (``gateway.provider_tools.survey_closing``)
writes, in the same update, one ``customer-satisfaction`` event per response for the outbox;
waves past their close date close by themselves (every ``interval_s`` once ``start``ed).
"""

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gateway.provider_tools.events import ToolEventOutbox
from gateway.provider_tools.survey_closing import WaveCloser
from gateway.provider_tools.survey_store import StoredWave, SurveyStore, WaveExistsError
from shared.api_keys import Principal
from shared.authorization import (
    Permission,
    PermissionDenied,
    allows,
    allows_for_provider,
    require,
)
from shared.domain import survey
from shared.domain.catalog import Catalog
from shared.domain.providers import ProviderRegistry
from shared.domain.survey import (
    Problem,
    SurveyCatalog,
    SurveyItem,
    SurveyRejected,
    SurveyResponse,
    SurveyWave,
    WaveStatus,
)
from shared.domain.survey_disclosure import Disclosure
from shared.domain.survey_responses import ResponseRules, check_columns, response_from_row
from shared.domain.survey_results import wave_disclosure
from shared.domain.survey_slices import SliceKey, small_slices

ATTEMPTS = 5
Row = Mapping[str, str | None]


class SurveyNotFoundError(Exception):
    """No wave with that id."""


@dataclass(frozen=True)
class ResponsesAdded:
    """What one import or web-form answer did: rows received, responses newly stored, and
    responses already stored before (same id: a re-import)."""

    wave: str
    received: int
    stored: int
    already_stored: int


@dataclass(frozen=True)
class ClosedWave:
    """A closed wave's responses and the disclosure decision over them."""

    wave: SurveyWave
    responses: tuple[SurveyResponse, ...]
    disclosure: Disclosure


SMALL_SLICES_TTL = timedelta(seconds=5)


class SurveyTool:
    """The survey as the GraphQL resolvers and the import endpoint use it."""

    def __init__(
        self,
        store: SurveyStore,
        outbox: ToolEventOutbox,
        *,
        catalog: Catalog,
        survey_catalog: SurveyCatalog,
        providers: Callable[[], Awaitable[ProviderRegistry]],
        clock: Callable[[], datetime],
        interval_s: float = 5.0,
    ) -> None:
        self.store = store
        self.survey_catalog = survey_catalog
        self._catalog = catalog
        self._providers = providers
        self._clock = clock
        self._closed: dict[str, tuple[int, ClosedWave]] = {}  # wave → (revision, results)
        self._small: dict[int, tuple[datetime, frozenset[SliceKey]]] = {}
        self.closer = WaveCloser(
            store,
            outbox,
            catalog=catalog,
            survey_catalog=survey_catalog,
            providers=providers,
            stored=self.stored,
            clock=clock,
            interval_s=interval_s,
        )

    async def create_wave(
        self,
        principal: Principal,
        fiscal_year: int,
        name: str,
        opens_on: date,
        closes_on: date,
        items: Sequence[SurveyItem] | None,
    ) -> SurveyWave:
        require(principal, Permission.MANAGE_SURVEYS, action="create survey waves")
        chosen = self.survey_catalog.default_items if items is None else items
        wave = survey.new_wave(fiscal_year, name, opens_on, closes_on, chosen, now=self._clock())
        try:
            await self.store.add_wave(wave)
        except WaveExistsError:
            message = f"a wave '{wave.id}' exists already; choose another name"
            raise SurveyRejected([Problem("name", message)]) from None
        return wave

    async def stored(self, wave_id: str) -> StoredWave:
        found = await self.store.wave(wave_id)
        if found is None:
            known = [w.id for w in await self.store.waves()]
            raise SurveyNotFoundError(
                f"unknown survey wave '{wave_id}'; the waves are {known or 'none yet'}"
            )
        return found

    async def set_invitations(
        self, principal: Principal, wave_id: str, total: int, by_agency: Mapping[str, int]
    ) -> SurveyWave:
        require(principal, Permission.MANAGE_SURVEYS, action="set survey invitations")
        agencies = {a.id for a in self._catalog.agencies}
        unknown = sorted(set(by_agency) - agencies)
        if unknown:
            message = (
                f"unknown agencies {unknown}; use the catalog's agency ids ({sorted(agencies)})"
            )
            raise SurveyRejected([Problem("byAgency", message)])
        for _ in range(ATTEMPTS):
            current = await self.stored(wave_id)
            changed = survey.set_invitations(current.wave, total, by_agency)
            if await self.store.replace_wave(changed, current.revision):
                return changed
        raise SurveyRejected([Problem("wave", "the wave changed meanwhile; try again")])

    async def add_rows(
        self,
        principal: Principal,
        wave_id: str,
        columns: Sequence[str],
        rows: Sequence[tuple[int, Row]],
    ) -> ResponsesAdded:
        """Store a file's responses, all or nothing: ``rows`` are (row number, cells) pairs,
        ``columns`` the header (stripped, lower-cased)."""
        require(principal, Permission.MANAGE_SURVEYS, action="import survey responses")
        current = await self.stored(wave_id)
        _require_open(current.wave)
        problems = check_columns(columns, current.wave)
        if problems:
            raise SurveyRejected(problems)
        responses = await self._responses(current.wave, rows)
        return await self._add(current, responses)

    async def record_response(
        self, principal: Principal, wave_id: str, cells: Row
    ) -> ResponsesAdded:
        """One web-form answer (cells keyed like the file's columns). Its id is the form's
        ``response_id`` when given (a resent form then stores nothing twice), else new."""
        require(principal, Permission.MANAGE_SURVEYS, action="record survey responses")
        current = await self.stored(wave_id)
        _require_open(current.wave)
        problems = [p for p in check_columns(list(cells), current.wave) if p.field in cells]
        if problems:
            raise SurveyRejected(problems)
        given = {**cells, "response_id": cells.get("response_id") or f"w-{uuid.uuid4().hex}"}
        return await self._add(current, await self._responses(current.wave, [(0, given)]))

    async def _responses(
        self, wave: SurveyWave, rows: Sequence[tuple[int, Row]]
    ) -> list[SurveyResponse]:
        rules = ResponseRules(
            self.survey_catalog, {a.id for a in self._catalog.agencies}, await self._providers()
        )
        seen: dict[str, int] = {}  # derived id → identical rows so far (the same response)
        responses: list[SurveyResponse] = []
        problems: list[Problem] = []
        for line, cells in rows:
            try:
                response = response_from_row(cells, wave, rules, line=line or None)
                if not (cells.get("response_id") or "").strip():
                    occurrence = seen.get(response.id, 0)
                    seen[response.id] = occurrence + 1
                    if occurrence:
                        response = response_from_row(
                            cells, wave, rules, occurrence=occurrence, line=line or None
                        )
                responses.append(response)
            except SurveyRejected as rejected:
                problems += rejected.problems
        if problems:
            raise SurveyRejected(problems)
        first: dict[str, int] = {}
        for (line, _), response in zip(rows, responses, strict=True):
            if response.id in first:
                message = f"response_id '{response.id}' is also on row {first[response.id]}"
                problems.append(Problem("response_id", message, line))
            first.setdefault(response.id, line)
        if problems:
            raise SurveyRejected(problems)
        return responses

    async def _add(
        self, current: StoredWave, responses: Sequence[SurveyResponse]
    ) -> ResponsesAdded:
        wave_id = current.wave.id
        already = await self.store.committed_ids(current, [r.id for r in responses])
        new = [r for r in responses if r.id not in already]
        if new:
            batch = uuid.uuid4().hex[:16]
            await self.store.write_batch(wave_id, batch, new)
            if not await self.store.commit_batch(wave_id, batch):
                _require_open((await self.stored(wave_id)).wave)
                raise SurveyRejected([Problem("wave", f"wave '{wave_id}' changed; try again")])
        return ResponsesAdded(wave_id, len(responses), len(new), len(already))

    async def close(self, principal: Principal, wave_id: str) -> SurveyWave:
        """Close a wave now (an admin); its events are owed in the same update."""
        require(principal, Permission.MANAGE_SURVEYS, action="close survey waves")
        return await self.closer.close(wave_id)

    async def small_slices(self, fiscal_year: int) -> frozenset[SliceKey]:
        """The measure slices a fiscal year's closed waves hold 1..4 responses of
        (``shared.domain.survey_slices``); remembered for ``SMALL_SLICES_TTL``."""
        now = self._clock()
        remembered = self._small.get(fiscal_year)
        if remembered is not None and now - remembered[0] < SMALL_SLICES_TTL:
            return remembered[1]
        closed = [w for w in await self.store.waves(fiscal_year) if w.status is WaveStatus.CLOSED]
        waves = [(await self.closed_wave(w.id)).responses for w in closed]
        function_qsmo = {f.id: f.qsmo for f in self.survey_catalog.functions}
        found = small_slices(waves, function_qsmo)
        self._small[fiscal_year] = (now, found)
        return found

    async def closed_wave(self, wave_id: str) -> ClosedWave:
        """A closed wave's responses and disclosure (computed once per wave revision)."""
        current = await self.stored(wave_id)
        if current.wave.status is not WaveStatus.CLOSED:
            message = (
                f"wave '{wave_id}' is open until {current.wave.closes_on}; results are "
                "published when it closes (so that two reads cannot isolate one response)"
            )
            raise SurveyRejected([Problem("wave", message)])
        cached = self._closed.get(wave_id)
        if cached is not None and cached[0] == current.revision:
            return cached[1]
        responses = tuple(await self.store.responses(current))
        found = ClosedWave(current.wave, responses, wave_disclosure(responses))
        self._closed[wave_id] = (current.revision, found)
        return found

    async def comments(
        self,
        principal: Principal,
        wave_id: str,
        provider_id: str | None,
        provider_qsmos: Sequence[str],
    ) -> list[SurveyResponse]:
        """The wave's responses with a comment (only ``provider_id``'s when given), in
        comment order (never the order they arrived in); admins, or the provider's own key."""
        if not self.may_read_comments(principal, provider_id, provider_qsmos):
            whose = (
                "every comment" if provider_id is None else f"provider '{provider_id}''s comments"
            )
            extra = "" if provider_id is None else " or that provider's own key"
            message = (
                f"key '{principal.key_id}' ({principal.role.value}) may not read {whose}: "
                f"that needs an admin key{extra}."
            )
            raise PermissionDenied(principal, Permission.MANAGE_SURVEYS, None, message)
        responses = await self.store.responses(await self.stored(wave_id))
        return sorted(
            (
                r
                for r in responses
                if r.comment is not None and (provider_id is None or r.provider == provider_id)
            ),
            key=lambda r: (r.comment or "", r.provider or ""),
        )

    def may_read_comments(
        self, principal: Principal, provider_id: str | None, qsmos: Sequence[str]
    ) -> bool:
        """Admins read every comment; a provider's own key reads its provider's
        (``FILL_PROVIDER_TOOLS`` for that provider)."""
        if allows(principal, Permission.MANAGE_SURVEYS):
            return True
        return provider_id is not None and allows_for_provider(
            principal, Permission.FILL_PROVIDER_TOOLS, provider_id, qsmos
        )

    def start(self) -> None:
        """Start closing waves past their close date (every ``interval_s``)."""
        self.closer.start()

    async def stop(self) -> None:
        await self.closer.stop()


def _require_open(wave: SurveyWave) -> None:
    if wave.status is WaveStatus.CLOSED:
        message = f"wave '{wave.id}' closed at {wave.closed_at}; it takes no more responses"
        raise SurveyRejected([Problem("wave", message)])
