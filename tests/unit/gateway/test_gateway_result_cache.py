"""The whole-operation result cache: what it caches, for whom, and when it forgets."""

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest
from gateway_unit_support import NOW, QSMOS, Harness, build_harness, make_view, principal
from strawberry.types import ExecutionResult

from gateway.result_cache import CACHEABLE_FIELDS, ResultCache, access_scope, plan_operation
from gateway.schema.build import GatewaySchema, build_schema
from gateway.settings import GatewaySettings
from services.scorecard.views import ScorecardView
from shared.events import FrameworkChanged, ScorecardChanged

GRID = """query DashboardGrid($fy: Int!, $phase: Int) {
  scorecards(fiscalYear: $fy, phase: $phase, includeGovernmentWide: true) {
    qsmoId version phase overallScore overallStatus dimensions { id score status } } }"""
ONE = 'query One($fy: Int!) { scorecard(fiscalYear: $fy, qsmo: "cybersecurity") { version } }'


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Cached:
    """A harness whose schema answers through a ``ResultCache``."""

    def __init__(self, *, live: bool = True, max_entries: int = 256, ttl_s: float = 10) -> None:
        self.harness: Harness = build_harness()
        self.live = live
        self.clock = Clock()
        self.day = date(2024, 5, 15)
        runtime = self.harness.runtime
        self.results = ResultCache(
            ttl_s,
            lambda: self.live,
            runtime.metrics,
            max_entries=max_entries,
            clock=self.clock,
            utc_day=lambda: self.day,
        )
        self.schema: GatewaySchema = build_schema(runtime.limits, runtime.metrics, self.results)
        for year in (2023, 2024):
            for qsmo in (*QSMOS, None):
                self.add(year, qsmo, 1)

    def add(self, year: int, qsmo: str | None, version: int) -> ScorecardView:
        view = make_view(
            self.harness.runtime.catalog,
            year,
            qsmo,
            {"customer-engagement": 30 + version},
            version=version,
            computed_at=NOW + timedelta(minutes=version),
        )
        self.harness.scorecards.versions.append(view)
        return view

    @property
    def reads(self) -> int:
        calls = self.harness.scorecards.calls
        return calls["all_current"] + calls["current"] + calls["as_of"]

    async def run(
        self, query: str, variables: dict[str, Any] | None = None, who: str = "viewer"
    ) -> ExecutionResult:
        return await self.schema.execute(
            query, variable_values=variables, context_value=self.harness.context(who)
        )

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, who: str = "viewer"
    ) -> dict[str, Any]:
        result = await self.run(query, variables, who)
        assert result.errors is None, result.errors
        assert result.data is not None
        return result.data

    def counted(self, outcome: str) -> float:
        value = self.harness.runtime.registry.get_sample_value(
            "qsmo_gateway_result_cache_total", {"result": outcome}
        )
        return value or 0.0


def changed(year: int, qsmo: str | None = "cybersecurity", version: int = 2) -> ScorecardChanged:
    return ScorecardChanged(
        scorecard_id=f"FY{year}|{qsmo or 'government'}",
        fiscal_year=year,
        qsmo=qsmo,
        version=version,
        phase=3,
        computed_at=NOW,
        cause="new_data",
        overall_score=None,
        overall_status="NO_DATA",
        transitions=[],
        measures=[],
    )


def versions(data: dict[str, Any]) -> dict[str | None, int]:
    return {card["qsmoId"]: card["version"] for card in data["scorecards"]}


async def test_the_grid_query_is_answered_from_the_cache() -> None:
    cached = Cached()
    first = await cached.data(GRID, {"fy": 2024})
    for _ in range(5):
        assert await cached.data(GRID, {"fy": 2024}) == first
    assert cached.reads == 1
    assert (cached.counted("miss"), cached.counted("hit")) == (1, 5)
    assert versions(first)["cybersecurity"] == 1


async def test_variables_operation_name_and_text_are_part_of_the_key() -> None:
    cached = Cached()
    await cached.data(GRID, {"fy": 2024})
    await cached.data(GRID, {"fy": 2023})
    await cached.data(GRID, {"fy": 2024, "phase": 2})
    await cached.data(GRID.replace("DashboardGrid", "Other"), {"fy": 2024})
    assert cached.reads == 4
    await cached.data(GRID, {"phase": None, "fy": 2024})  # same variables, other order
    await cached.data(GRID, {"fy": 2024, "phase": None})
    assert cached.reads == 5


async def test_an_answer_is_shared_only_by_keys_the_policy_treats_alike() -> None:
    cached = Cached()
    for who in ("pub:cybersecurity", "pub:grants-management", "viewer", "admin"):
        await cached.data(GRID, {"fy": 2024}, who)
    assert cached.reads == 4  # none was served another's answer
    await cached.data(GRID, {"fy": 2024}, "pub:cybersecurity")
    assert cached.reads == 4


def test_the_access_scope_follows_the_policy() -> None:
    scopes = {
        who: access_scope(principal(who))
        for who in ("admin", "viewer", "pub:cybersecurity", "pub:grants-management")
    }
    assert len(set(scopes.values())) == 4
    assert access_scope(principal("viewer")) == scopes["viewer"]


async def test_a_scorecard_change_invalidates_its_fiscal_year_only() -> None:
    cached = Cached()
    await cached.data(GRID, {"fy": 2024})
    await cached.data(GRID, {"fy": 2023})
    cached.add(2024, "cybersecurity", 2)
    cached.results.scorecard_changed(changed(2024))
    assert versions(await cached.data(GRID, {"fy": 2024}))["cybersecurity"] == 2
    await cached.data(GRID, {"fy": 2023})
    assert cached.reads == 3  # 2023 still cached


async def test_a_framework_change_or_repositioning_invalidates_everything() -> None:
    cached = Cached()
    await cached.data(GRID, {"fy": 2024})
    await cached.data(GRID, {"fy": 2023})
    cached.results.everything_changed(
        FrameworkChanged(
            change_id="c1", kind="target", actor="a", reason="r", changed_at=NOW, value=1.0
        )
    )
    await cached.data(GRID, {"fy": 2024})
    await cached.data(GRID, {"fy": 2023})
    assert cached.reads == 4
    cached.results.everything_changed()  # the live feed (re)positioned
    await cached.data(GRID, {"fy": 2024})
    assert cached.reads == 5


async def test_a_change_announced_during_execution_is_not_hidden() -> None:
    cached = Cached()
    inner = cached.harness.scorecards
    read = inner.all_current

    async def read_then_change(fiscal_year: int, phase: int | None = None) -> list[ScorecardView]:
        found = await read(fiscal_year, phase)
        if inner.calls["all_current"] == 1:  # the change lands after this read
            cached.add(2024, "cybersecurity", 2)
            cached.results.scorecard_changed(changed(2024))
        return found

    inner.all_current = read_then_change  # type: ignore[method-assign]
    assert versions(await cached.data(GRID, {"fy": 2024}))["cybersecurity"] == 1
    assert versions(await cached.data(GRID, {"fy": 2024}))["cybersecurity"] == 2
    assert versions(await cached.data(GRID, {"fy": 2024}))["cybersecurity"] == 2
    assert cached.reads == 2


async def test_errors_are_never_cached() -> None:
    cached = Cached()
    cached.harness.scorecards.fail_with = RuntimeError("store away")
    for _ in range(2):
        result = await cached.run(GRID, {"fy": 2024})
        assert result.errors
    assert cached.reads == 2
    cached.harness.scorecards.fail_with = None
    for _ in range(2):
        bad = await cached.run(ONE.replace('"cybersecurity"', '"nobody"'), {"fy": 2024})
        assert bad.errors
    assert len(cached.results) == 0


@pytest.mark.parametrize(
    "query",
    [
        'query { scorecard(fiscalYear: 2024, qsmo: "cybersecurity", '
        'asOf: "2024-06-01T00:00:00Z") { version } }',
        "query { scorecards(fiscalYear: 2024) { measures { latestCommentary { text } } } }",
        "query { scorecards(fiscalYear: 2024) { measures { openImprovementActions { id } } } }",
        "query { scorecards(fiscalYear: 2024) { version } viewer { keyId } }",
        "query { scorecards(fiscalYear: 2024) { ...F } } fragment F on Scorecard "
        "{ measures { profile { id } } }",
        "query { scorecardHistory(fiscalYear: 2024) { version } }",
    ],
)
async def test_operations_reading_unannounced_state_pass_through(query: str) -> None:
    cached = Cached()
    for _ in range(2):
        await cached.run(query)
    assert len(cached.results) == 0
    assert cached.counted("hit") == cached.counted("miss") == 0


async def test_fragments_of_listed_fields_are_cached() -> None:
    cached = Cached()
    query = (
        "query Q { a: scorecards(fiscalYear: 2024) { ...Card } "
        'b: scorecard(fiscalYear: 2023, qsmo: "cybersecurity") { ... on Scorecard { version } } }'
        " fragment Card on Scorecard { __typename version qsmo { id name } }"
    )
    await cached.data(query)
    await cached.data(query)
    assert cached.reads == 2  # one all_current, one current
    cached.results.scorecard_changed(changed(2023))  # one of the two years it read
    await cached.data(query)
    assert cached.reads == 4


def test_a_field_nobody_listed_is_not_cacheable() -> None:
    schema = build_harness().schema._schema
    for type_name, allowed in CACHEABLE_FIELDS.items():
        graphql_type: Any = schema.get_type(type_name)
        assert allowed <= set(graphql_type.fields), type_name  # the list names real fields
    scorecard: Any = schema.get_type("Scorecard")
    unlisted = set(scorecard.fields) - CACHEABLE_FIELDS["Scorecard"]
    from graphql import parse

    for field in unlisted:
        document = parse(f"{{ scorecards(fiscalYear: 2024) {{ {field} {{ __typename }} }} }}")
        assert plan_operation(schema, document, None) is None


async def test_mutations_invalidate_everything() -> None:
    cached = Cached()
    await cached.data(GRID, {"fy": 2024})
    await cached.data(
        'mutation { setTarget(measure: "customer-engagement", target: 40, reason: "r") '
        "{ change { id } } }",
        who="admin",
    )
    await cached.data(GRID, {"fy": 2024})
    assert cached.reads == 2


async def test_bypassed_while_the_live_feed_is_not_positioned() -> None:
    cached = Cached(live=False)
    for _ in range(3):
        await cached.data(GRID, {"fy": 2024})
    assert cached.reads == 3
    assert cached.counted("bypass") == 3
    assert len(cached.results) == 0


async def test_entries_expire_after_the_ttl() -> None:
    cached = Cached(ttl_s=10)
    await cached.data(GRID, {"fy": 2024})
    cached.clock.now = 9.9
    await cached.data(GRID, {"fy": 2024})
    cached.clock.now = 10.1
    await cached.data(GRID, {"fy": 2024})
    assert cached.reads == 2


async def test_a_new_utc_day_reads_afresh() -> None:
    """Rev. 2: an open year is judged against the targets expected by the day, so an answer
    belongs to the UTC day it was computed on."""
    cached = Cached(ttl_s=3600)
    await cached.data(GRID, {"fy": 2024})
    await cached.data(GRID, {"fy": 2024})
    assert cached.reads == 1
    cached.day = date(2024, 5, 16)
    await cached.data(GRID, {"fy": 2024})
    assert cached.reads == 2


async def test_the_rev2_fields_of_the_grid_are_cached() -> None:
    cached = Cached()
    query = """query Rev2($fy: Int!) { scorecards(fiscalYear: $fy) { qsmoId open elapsedShare
      referenceTime measures { id target annualTarget projectedValue lastYearValue
      changeFromLastYear qsmoStatusCounts { green amber red noData } } } }"""
    first = await cached.data(query, {"fy": 2024})
    assert await cached.data(query, {"fy": 2024}) == first
    assert cached.reads == 1


async def test_a_ttl_of_zero_turns_the_cache_off() -> None:
    cached = Cached(ttl_s=0)
    for _ in range(2):
        await cached.data(GRID, {"fy": 2024})
    assert cached.reads == 2


async def test_the_least_recently_used_entry_goes_first() -> None:
    cached = Cached(max_entries=2)
    for year in (2023, 2024):
        await cached.data(GRID, {"fy": year})
    await cached.data(GRID, {"fy": 2023})  # 2023 used last
    await cached.data(GRID, {"fy": 2024, "phase": 2})  # evicts 2024
    assert len(cached.results) == 2
    reads = cached.reads
    await cached.data(GRID, {"fy": 2023})
    assert cached.reads == reads
    await cached.data(GRID, {"fy": 2024})
    assert cached.reads == reads + 1


async def test_an_anonymous_caller_is_refused_before_the_cache() -> None:
    cached = Cached()
    await cached.data(GRID, {"fy": 2024})
    result = await cached.schema.execute(
        GRID, variable_values={"fy": 2024}, context_value=cached.harness.context(None)
    )
    assert result.errors
    assert result.data is None
    assert (result.errors[0].extensions or {}).get("code") == "UNAUTHENTICATED"


def test_settings_give_the_ttl() -> None:
    assert GatewaySettings().cache_ttl_s > 0


SLICE = """query Slice($fy: Int!) { scorecard(fiscalYear: $fy, qsmo: "financial-management",
  provider: "doi-ibc") { id stored overallStatus slice { kind provider { id name } }
  measures { id value target status } } }"""
COMPARISON = """query Compare($fy: Int!) { providerComparison(qsmo: "financial-management",
  fiscalYear: $fy, measures: ["customer-satisfaction"]) { qsmoId rows { provider { id }
  customerAgencies overallStatus measures { measureId value target targetSource status trend }
  } } }"""


@pytest.mark.parametrize("query", [SLICE, COMPARISON])
async def test_slices_are_cached_until_their_year_or_the_framework_changes(query: str) -> None:
    cached = Cached()
    values = cached.harness.values
    first = await cached.data(query, {"fy": 2024})
    assert await cached.data(query, {"fy": 2024}) == first
    reads = values.calls["year_states"]
    assert reads >= 1
    assert cached.counted("hit") == 1
    cached.results.scorecard_changed(changed(2023))  # another year: still fresh
    await cached.data(query, {"fy": 2024})
    assert values.calls["year_states"] == reads
    cached.results.scorecard_changed(changed(2024, "financial-management"))
    await cached.data(query, {"fy": 2024})
    assert values.calls["year_states"] == 2 * reads
    cached.results.everything_changed()  # an SLA target or a provider change
    await cached.data(query, {"fy": 2024})
    assert values.calls["year_states"] == 3 * reads


async def test_slice_reads_of_unannounced_state_pass_through() -> None:
    cached = Cached()
    for query in (
        "query { agencies { id } }",
        'query { scorecard(fiscalYear: 2024, qsmo: "financial-management", provider: "doi-ibc",'
        ' asOf: "2024-05-01T00:00:00Z") { id } }',
        'query { providerComparison(qsmo: "financial-management", fiscalYear: 2024) '
        "{ rows { cost { costPerTransaction } } } }",
    ):
        await cached.data(query)
    assert len(cached.results) == 0


async def test_concurrent_misses_of_one_key_execute_once() -> None:
    cached = Cached()
    values = cached.harness.values
    gate = asyncio.Event()
    read = values.year_states

    async def slow_year_states(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()
        return await read(*args, **kwargs)

    values.year_states = slow_year_states  # type: ignore[method-assign]
    runs = [asyncio.create_task(cached.data(SLICE, {"fy": 2024})) for _ in range(4)]
    await asyncio.sleep(0.01)
    gate.set()
    answers = await asyncio.gather(*runs)
    assert all(a == answers[0] for a in answers)
    assert values.calls["year_states"] == 1
    assert (cached.counted("miss"), cached.counted("hit")) == (1, 3)
