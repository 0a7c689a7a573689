"""The tiers below the QSMO on read (rev. 2): which slice a query asks for, its scorecard,
and the providers of a QSMO side by side.

Slice scorecards are not stored (docs/scorecard.md): the gateway reads the slice's
fiscal-year states from the measures service's read door (``year_states``: one find by
``_id``), turns them into the scorecard door's own input (``SliceYearState``) and scores them
with ``slice_scorecard``. The scorecard service never meets the measures service: this
module is where the two doors meet.

Round trips: a slice scorecard is one ``year_states`` (the fiscal year, the year before and
the baseline years, every measure); an agency unknown to the catalog one more
(``agencies_seen``). ``provider_comparison`` is one ``slice_index``, then, concurrently, one
``year_states`` per provider and one quarterly read per provider and shown measure (the
trend).
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gateway.context import GatewayContext
from gateway.errors import BadUserInputError, NotFoundError
from gateway.series import qsmo_added_times, series_annual_target
from services.measures.read_model import ValueReading, YearState
from services.scorecard.read_model import ScorecardView, SliceYearState, slice_scorecard
from shared.domain.catalog import Framework, Measure
from shared.domain.fiscal import PeriodKind
from shared.domain.framework_changes import FrameworkState
from shared.domain.overrides import Overrides
from shared.domain.phases import baseline_fiscal_year
from shared.domain.providers import Provider, Slice

TargetSourceName = str
"""``QSMO`` (the QSMO's target), ``GOVERNMENT`` (the government-wide one) or ``SLA``."""


async def asked_slice(
    context: GatewayContext, qsmo: str | None, provider: str | None, agency: str | None
) -> Slice | None:
    """The slice named by a query's ``provider``/``agency`` arguments (None: neither).

    BAD_USER_INPUT for both at once, a provider without ``qsmo`` or one that does not serve
    it; NOT_FOUND naming the id for an unknown provider (with a did-you-mean) or agency.
    """
    if provider is not None and agency is not None:
        raise BadUserInputError(
            "give provider or agency, not both: a slice is one provider's or one customer "
            "agency's share of the events",
            field="agency",
        )
    if provider is not None:
        return Slice("provider", (await known_provider(context, provider, qsmo)).id)
    if agency is not None:
        return Slice("agency", await known_agency(context, agency))
    return None


async def known_provider(context: GatewayContext, provider_id: str, qsmo: str | None) -> Provider:
    """The provider, which must serve ``qsmo`` (a provider's slice is within one QSMO)."""
    registry = await context.providers()
    found = registry.get(provider_id)
    if found is None:
        hint = registry.did_you_mean(provider_id)
        suggestion = f"; did you mean '{hint}'?" if hint else "; the providers query lists them"
        raise NotFoundError(
            f"unknown provider '{provider_id}'{suggestion}", field="provider", id=provider_id
        )
    if qsmo is None:
        raise BadUserInputError(
            f"provider needs qsmo: a provider's slice is its share of one QSMO's events; add "
            f"qsmo (provider '{provider_id}' serves: {', '.join(found.qsmos)})",
            field="provider",
        )
    if not found.serves(qsmo):
        raise BadUserInputError(
            f"provider '{provider_id}' does not serve QSMO '{qsmo}' (it serves: "
            f"{', '.join(found.qsmos)})",
            field="provider",
        )
    return found


async def known_agency(context: GatewayContext, agency_id: str) -> str:
    """``agency_id`` if the catalog lists it or an event named it; NOT_FOUND otherwise."""
    if any(a.id == agency_id for a in context.runtime.catalog.agencies):
        return agency_id
    if agency_id in await context.runtime.values.agencies_seen():
        return agency_id
    raise NotFoundError(
        f"unknown agency '{agency_id}': neither a CFO Act agency of the catalog nor named by "
        "any event (the agencies query lists them; ids are abbreviations such as DOI)",
        field="agency",
        id=agency_id,
    )


def years_read(framework: Framework, overrides: Overrides, fiscal_year: int) -> list[int]:
    """The fiscal years a scorecard of ``fiscal_year`` reads: itself, the year before
    (``lastYearValue``) and the measures' baseline years before it."""
    years = {fiscal_year, fiscal_year - 1}
    for measure in framework.measures:
        year = baseline_fiscal_year(measure, framework, overrides)
        if year is not None and year < fiscal_year:
            years.add(year)
    return sorted(years)


def slice_states(states: Sequence[YearState]) -> list[SliceYearState]:
    """The measures door's states as the scorecard door's input."""
    return [
        SliceYearState(
            qsmo=s.qsmo,
            measure=s.measure,
            fiscal_year=s.fiscal_year,
            summary=s.summary,
            restated_count=s.restated_count,
            last_ingested_at=s.last_ingested_at,
        )
        for s in states
    ]


async def slice_view(
    context: GatewayContext,
    fiscal_year: int,
    qsmo: str | None,
    slice_: Slice,
    at: datetime,
    phase: int | None = None,
) -> ScorecardView:
    """The slice's scorecard judged at ``at`` from the values stored now (one read)."""
    runtime = context.runtime
    framework = runtime.catalog.framework()
    state = await context.loaders.framework_state()
    owners = [qsmo] if qsmo is not None else [q.id for q in await context.qsmos()]
    states = await runtime.values.year_states(
        owners, framework.measure_ids, years_read(framework, state.overrides, fiscal_year), slice_
    )
    return _score(context, state, fiscal_year, qsmo, slice_, states, at, phase)


def _score(
    context: GatewayContext,
    state: FrameworkState,
    fiscal_year: int,
    qsmo: str | None,
    slice_: Slice,
    states: Sequence[YearState],
    at: datetime,
    phase: int | None,
) -> ScorecardView:
    catalog = context.runtime.catalog
    return slice_scorecard(
        catalog.framework(),
        state.overrides,
        slice_=slice_,
        qsmo=qsmo,
        fiscal_year=fiscal_year,
        states=slice_states(states),
        at=at,
        phase=phase,
        qsmos=qsmo_added_times(catalog.qsmos, state),
    )


def slice_annual_target(
    measure: Measure,
    qsmo: str | None,
    slice_: Slice | None,
    state: FrameworkState,
    context: GatewayContext,
    fiscal_year: int,
) -> tuple[float, TargetSourceName]:
    """The annual target a (slice) value is judged against, and where it comes from: a
    provider's SLA target, else the QSMO's (or the government-wide one)."""
    if slice_ is not None and slice_.kind == "provider":
        sla = state.overrides.sla_targets.get((slice_.id, measure.id))
        if sla is not None:
            return sla, "SLA"
    annual = series_annual_target(measure, qsmo, state, context.runtime.catalog.qsmos, fiscal_year)
    return annual, "QSMO" if qsmo is not None else "GOVERNMENT"


@dataclass(frozen=True)
class ComparisonRow:
    """One provider of a QSMO in a fiscal year: its slice scorecard, customer agencies and
    each shown measure's quarter values (Q1..Q4; None without events)."""

    provider: Provider
    customer_agencies: int
    view: ScorecardView
    trends: dict[str, tuple[float | None, ...]]


async def provider_comparison(
    context: GatewayContext, qsmo: str, fiscal_year: int, measures: Sequence[Measure]
) -> list[ComparisonRow]:
    """Every provider serving ``qsmo`` (a retired one only if it has events that year)."""
    runtime = context.runtime
    framework = runtime.catalog.framework()
    state = await context.loaders.framework_state()
    index = await runtime.values.slice_index(qsmo, fiscal_year)
    providers = [
        p
        for p in (await context.providers()).all(qsmo=qsmo)
        if not p.retired or p.id in index.providers
    ]
    years = years_read(framework, state.overrides, fiscal_year)
    at = runtime.clock()

    async def row(provider: Provider) -> ComparisonRow:
        slice_ = Slice("provider", provider.id)
        states, trends = await asyncio.gather(
            runtime.values.year_states([qsmo], framework.measure_ids, years, slice_),
            asyncio.gather(*(_quarters(context, qsmo, m, fiscal_year, slice_) for m in measures)),
        )
        view = _score(context, state, fiscal_year, qsmo, slice_, states, at, None)
        return ComparisonRow(
            provider=provider,
            customer_agencies=len(index.providers.get(provider.id, ())),
            view=view,
            trends={m.id: tuple(r.value for r in t) for m, t in zip(measures, trends, strict=True)},
        )

    return list(await asyncio.gather(*(row(p) for p in providers)))


async def _quarters(
    context: GatewayContext, qsmo: str, measure: Measure, fiscal_year: int, slice_: Slice
) -> list[ValueReading]:
    return await context.runtime.values.series(
        qsmo,
        measure.id,
        measure.aggregation,
        fiscal_year,
        PeriodKind.FISCAL_QUARTER,
        slice=slice_,
    )
