"""Queries about the framework, the caller, and measure values."""

from datetime import timedelta

import strawberry

from gateway.context import Info
from gateway.errors import BadUserInputError
from gateway.schema import fields
from gateway.schema.admin_types import Person, QueryLimits, Viewer
from gateway.schema.common import fiscal_year_arg, value_measure
from gateway.schema.enums import Role, SeriesGranularity
from gateway.schema.framework_types import Framework, Measure, Qsmo, qsmo_by_id
from gateway.schema.tier_types import ScorecardSlice, TargetSource
from gateway.schema.value_types import MeasureSeries, MeasureValue
from gateway.series import point_target, year_to_date_points, year_to_date_target
from gateway.tiers import asked_slice, slice_annual_target
from services.measures.read_model import ValueReading
from shared.domain.catalog import Aggregation
from shared.domain.fiscal import PeriodKind, fiscal_year_of
from shared.domain.providers import Slice

MAX_ROLLING_DAYS = 3660


@strawberry.type
class FrameworkQueries:
    @fields.field(description="The API key making this request.")
    def viewer(self, info: Info) -> Viewer:
        principal = info.context.principal
        return Viewer(
            key_id=principal.key_id,
            role=Role(principal.role.value),
            qsmo_id=None if principal.qsmo is None else strawberry.ID(principal.qsmo),
            provider_id=None if principal.provider is None else strawberry.ID(principal.provider),
            person=Person.from_model(principal.person),
        )

    @fields.field(description="The limits every operation must respect.")
    def limits(self, info: Info) -> QueryLimits:
        limits = info.context.runtime.limits
        return QueryLimits(
            max_depth=limits.max_depth,
            max_aliases=limits.max_aliases,
            max_tokens=limits.max_tokens,
            max_complexity=limits.max_complexity,
            max_page_size=limits.max_page_size,
            default_page_size=limits.default_page_size,
        )

    @fields.field(description="A framework version (default: the one in force, qsmo-2022).")
    def framework(self, info: Info, version: strawberry.ID | None = None) -> Framework:
        try:
            return Framework.from_model(info.context.runtime.catalog.framework(version))
        except KeyError as error:
            raise BadUserInputError(str(error.args[0]), field="version") from None

    @fields.field(description="Every framework version the platform holds.")
    def frameworks(self, info: Info) -> list[Framework]:
        return [Framework.from_model(f) for f in info.context.runtime.catalog.frameworks]

    @fields.field(description="Every QSMO: the catalog's and those added by admins.")
    async def qsmos(self, info: Info) -> list[Qsmo]:
        catalog_ids = set(info.context.runtime.catalog.qsmo_ids)
        return [
            Qsmo.from_model(q, added=q.id not in catalog_ids) for q in await info.context.qsmos()
        ]

    @strawberry.field
    async def qsmo(self, info: Info, id: strawberry.ID) -> Qsmo | None:
        return await qsmo_by_id(info, id)

    @fields.field(
        description="A measure's value for a fiscal year, a fiscal quarter or the last N days "
        "(default: the current fiscal year). `qsmo` omitted: government-wide. `provider` (needs "
        "`qsmo`) or `agency`: that provider's or customer agency's events only (rev. 2), judged "
        "against the QSMO's target or the provider's SLA target (`targetSource`)."
    )
    async def measure_value(
        self,
        info: Info,
        measure: strawberry.ID,
        qsmo: strawberry.ID | None = None,
        fiscal_year: int | None = None,
        fiscal_quarter: int | None = None,
        rolling_days: int | None = None,
        provider: strawberry.ID | None = None,
        agency: strawberry.ID | None = None,
    ) -> MeasureValue:
        context = info.context
        await context.known_qsmo(qsmo)
        slice_ = await asked_slice(context, qsmo, provider, agency)
        _, known = value_measure(context.runtime.catalog, measure)
        aggregation = known.aggregation
        now = context.runtime.clock()
        if rolling_days is not None:
            if fiscal_year is not None or fiscal_quarter is not None:
                raise BadUserInputError(
                    "give either rollingDays or fiscalYear (with fiscalQuarter), not both",
                    field="rollingDays",
                )
            if not 1 <= rolling_days <= MAX_ROLLING_DAYS:
                raise BadUserInputError(
                    f"rollingDays must be between 1 and {MAX_ROLLING_DAYS}", field="rollingDays"
                )
            reading = await context.runtime.values.rolling_value(
                qsmo, measure, aggregation, now, rolling_days, slice=slice_
            )
        else:
            if fiscal_quarter is not None and fiscal_year is None:
                raise BadUserInputError("fiscalQuarter needs fiscalYear", field="fiscalQuarter")
            if fiscal_quarter is not None and fiscal_quarter not in (1, 2, 3, 4):
                raise BadUserInputError("fiscalQuarter must be 1..4", field="fiscalQuarter")
            year = fiscal_year_of(now) if fiscal_year is None else fiscal_year_arg(fiscal_year)
            reading = await context.runtime.values.fiscal_value(
                qsmo,
                measure,
                aggregation,
                year,
                fiscal_quarter,
                slice=slice_,
                qsmos=() if slice_ is None else [q.id for q in await context.qsmos()],
            )
        return await _value(info, reading, slice_)

    @fields.field(
        description="A measure's monthly or quarterly values over a fiscal year, each judged "
        "against its own period's target (rev. 2). `cumulative: true` (sum measures only): "
        "year-to-date running totals against the expected-to-date target. `qsmo` omitted: "
        "government-wide. `provider` (needs `qsmo`) or `agency`: that slice's events only."
    )
    async def measure_series(
        self,
        info: Info,
        measure: strawberry.ID,
        fiscal_year: int,
        qsmo: strawberry.ID | None = None,
        granularity: SeriesGranularity = SeriesGranularity.MONTH,
        cumulative: bool = False,
        provider: strawberry.ID | None = None,
        agency: strawberry.ID | None = None,
    ) -> MeasureSeries:
        context = info.context
        await context.known_qsmo(qsmo)
        slice_ = await asked_slice(context, qsmo, provider, agency)
        framework, known = value_measure(context.runtime.catalog, measure)
        if cumulative and known.aggregation is not Aggregation.SUM:
            raise BadUserInputError(
                f"cumulative needs a sum measure; '{measure}' is aggregated as "
                f"{known.aggregation.value}: drop cumulative or pick a sum measure",
                field="cumulative",
            )
        year = fiscal_year_arg(fiscal_year)
        state = await context.loaders.framework_state()
        readings = await context.runtime.values.series(
            qsmo,
            measure,
            known.aggregation,
            year,
            PeriodKind(granularity.value),
            qsmos=[q.id for q in await context.qsmos()],
            slice=slice_,
        )
        now = context.runtime.clock()
        annual, source = slice_annual_target(known, qsmo, slice_, state, context, year)
        profile = Measure.from_model(framework, known)
        label = None if slice_ is None else slice_.label
        target_source = TargetSource(source)
        if cumulative:
            targets = [
                (r, year_to_date_target(annual, r.period, now))
                for r in year_to_date_points(readings, known.aggregation, now)
            ]
        else:
            targets = [
                (r, point_target(annual, known.aggregation, r.period, now)) for r in readings
            ]
        points = [
            MeasureValue.from_reading(r, profile, known, t, target_source, label)
            for r, t in targets
        ]
        return MeasureSeries(
            qsmo_id=qsmo,
            measure_id=measure,
            fiscal_year=fiscal_year,
            granularity=granularity,
            cumulative=cumulative,
            annual_target=annual,
            reference_time=now,
            points=points,
            target_source=target_source,
            slice=ScorecardSlice.from_label(label),
        )


async def _value(info: Info, reading: ValueReading, slice_: Slice | None = None) -> MeasureValue:
    """A period's value judged as a series point is (rev. 2): against its own period target at
    now — a fiscal year or quarter its share of the annual target (an open one: what was
    expected by today), a rolling window its days' share; government-wide ``sum``: the sum of
    the participating QSMOs' targets; a provider's slice: its SLA target where one is set."""
    context = info.context
    framework, measure = value_measure(context.runtime.catalog, reading.measure)
    state = await context.loaders.framework_state()
    year = fiscal_year_of(reading.period.end - timedelta(microseconds=1))
    annual, source = slice_annual_target(measure, reading.qsmo, slice_, state, context, year)
    target = point_target(annual, measure.aggregation, reading.period, context.runtime.clock())
    return MeasureValue.from_reading(
        reading,
        Measure.from_model(framework, measure),
        measure,
        target,
        TargetSource(source),
        None if slice_ is None else slice_.label,
    )
