"""Whole-operation result cache for the dashboard grid's scorecard queries.

The grid asks ``scorecards(fiscalYear)`` (and a drill-down ``scorecard(fiscalYear, qsmo)``)
many times a second, and the answer only changes when a scorecard version does. Resolving the
same ~1,300 fields for every request cost more CPU than one gateway process has at 100 req/s
(docs/benchmarks.md), so an operation that only reads announced state is answered from a
cache of whole results:

- **What is cached**: a query whose every field is in ``CACHEABLE_FIELDS`` (safe by default:
  a field nobody listed, e.g. one added later, makes the operation pass through). Listed
  fields are fully determined by the stored scorecard versions, the framework state (both
  announced on Kafka) and the UTC day (rev. 2: an open year is judged against the targets
  expected by that day, as the gateway's scorecard cache does); ``scorecard(asOf:)``,
  commentary, improvement actions and anything else that reads the clock are not listed.
  Slices (rev. 2: ``scorecard(provider:|agency:)``, ``providerComparison``) are computed on
  read from the measures service's slice states, which are not announced; they are listed
  because every event that changes a slice's fiscal year (its states, its ``slice_index``)
  also changes the event count of its QSMO's and the government-wide stored scorecard of
  that year, whose ``ScorecardChanged`` bumps the year's generation (a year's values reach
  the next year's ``lastYearValue`` the same way, the scorecard service recomputing the next
  year too); admins' provider and SLA-target changes are framework changes. ``cost`` (from
  the data call, whose reviews are not announced) is not listed.
- **Key**: the UTC day, query text, operation name, canonical variables, and the caller's access scope
  (``access_scope``: how far ``shared.authorization``'s policy lets the key reach, and its
  QSMO when it reaches only its own), so an answer never goes to a caller treated otherwise.
- **Invalidation by generation**: each entry keeps the generations of the fiscal years it
  read, taken *before* execution, so a change announced while it executed makes the entry
  stale at once. ``ScorecardChanged`` bumps its fiscal year; ``FrameworkChanged``, a
  (re)positioned live feed and a mutation answered by this process bump every year.
- **Concurrent misses of one key execute once**: an operation that misses while the same
  key is executing (read under the same generations) waits for that result; a result with
  errors is not shared (the waiter then executes itself).
- ``ttl_s`` (``QSMO_GATEWAY_CACHE_TTL_S``) bounds staleness should an announcement be late;
  while the live feed is not positioned every operation executes (``bypass``); results with
  errors are never kept; at most ``max_entries`` results are kept, least recently used out.
"""

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import MappingProxyType

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NamedTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from gateway.metrics import GatewayMetrics
from shared import authorization
from shared.api_keys import Principal
from shared.authorization import Permission, Reach
from shared.events import ScorecardChanged


def _fields(names: str) -> frozenset[str]:
    return frozenset(names.split())


CACHEABLE_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "Query": _fields("scorecard scorecards providerComparison"),
        "Scorecard": _fields(
            "id fiscalYear qsmoId version computedAt cause causeDetail phase frameworkVersion "
            "overallScore overallStatus dimensions governmentWide qsmo measures measure dimension "
            "open elapsedShare referenceTime slice stored"
        ),
        "ScorecardSlice": _fields("kind id label provider agency"),
        "Provider": _fields(
            "id name kind qsmoIds services parentAgency retiredAt addedByAdmin retired qsmos"
        ),
        "Agency": _fields("id name inCatalog"),
        "ProviderComparison": _fields("qsmoId fiscalYear measureIds rows qsmo"),
        "ProviderComparisonRow": _fields(
            "provider customerAgencies overallScore overallStatus measures"
        ),
        "ProviderMeasureComparison": _fields(
            "measureId value target annualTarget targetSource attainment status trend "
            "lastYearValue eventCount"
        ),
        "ScorecardDimension": _fields("id name score status weight active measures"),
        "ScorecardMeasure": _fields(
            "id name unit value target attainment status weight active baseline change dataQuality "
            "annualTarget projectedValue lastYearValue changeFromLastYear qsmoStatusCounts"
        ),
        "QsmoStatusCounts": _fields("green amber red noData"),
        "DataQuality": _fields(
            "eventCount restatedCount lastEventAt lastIngestedAt stale reportingFrequencyDays"
        ),
        "CauseDetail": _fields("measures restatedMeasures frameworkChanges reason"),
        "Qsmo": _fields("id name leadAgency addedByAdmin"),
    }
)
"""Per GraphQL type, the fields whose value is fully determined by the stored scorecard
versions and the announced framework state. Add a field here only if that holds for it."""

UNCACHEABLE_ARGUMENTS: Mapping[str, frozenset[str]] = MappingProxyType(
    {"scorecard": frozenset({"asOf"})}
)
"""Root-field arguments that make the operation pass through (a past version is read by
instant, not announced)."""

PLAN_CACHE_SIZE = 256

YearSource = int | tuple[str, object]
"""A root field's fiscal year: a literal, or (variable name, the variable's default)."""


def access_scope(principal: Principal) -> Hashable:
    """What decides which answers a key may share: how far the policy lets it reach for each
    permission, and its QSMO (provider) when some permission reaches only its own QSMO
    (provider)."""
    reaches = tuple(authorization.reach(principal, p) for p in Permission)
    own = principal.qsmo if Reach.OWN_QSMO in reaches else None
    own_provider = principal.provider if Reach.OWN_PROVIDER in reaches else None
    return (reaches, own, own_provider)


class Generations:
    """A counter per fiscal year and one for everything; an entry is fresh while the
    counters it was made under are unchanged."""

    def __init__(self) -> None:
        self._by_year: dict[int, int] = {}
        self._everything = 0

    def of(self, years: tuple[int, ...]) -> tuple[int, ...]:
        return (self._everything, *(self._by_year.get(y, 0) for y in years))

    def year_changed(self, fiscal_year: int) -> None:
        self._by_year[fiscal_year] = self._by_year.get(fiscal_year, 0) + 1

    def everything_changed(self) -> None:
        self._everything += 1


@dataclass(frozen=True)
class _Entry:
    generation: tuple[int, ...]
    expires_at: float
    result: ExecutionResult


def _utc_day() -> date:
    return datetime.now(UTC).date()


class ResultCache:
    """The cached results and their generations, shared by the operations of one process."""

    def __init__(
        self,
        ttl_s: float,
        is_live: Callable[[], bool],
        metrics: GatewayMetrics | None = None,
        *,
        max_entries: int = 256,
        clock: Callable[[], float] = time.monotonic,
        utc_day: Callable[[], date] = _utc_day,
    ) -> None:
        self.ttl_s = ttl_s
        self.utc_day = utc_day
        self.is_live = is_live
        self.max_entries = max_entries
        self.generations = Generations()
        self._metrics = metrics
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self.running: dict[
            Hashable, tuple[tuple[int, ...], asyncio.Future[ExecutionResult | None]]
        ] = {}
        """Executions under way by key (with the generations they read at): a concurrent
        miss of the same key waits for that result instead of executing again."""
        self._plans: OrderedDict[tuple[str, str | None], tuple[YearSource, ...] | None] = (
            OrderedDict()
        )

    def __len__(self) -> int:
        return len(self._entries)

    # --- invalidation (live-feed listeners) ------------------------------------------------
    def scorecard_changed(self, message: ScorecardChanged) -> None:
        self.generations.year_changed(message.fiscal_year)

    def everything_changed(self, *_: object) -> None:
        """Framework changed, feed (re)positioned or a local mutation: nothing is fresh."""
        self.generations.everything_changed()
        self._entries.clear()

    # --- entries --------------------------------------------------------------------------
    def lookup(self, key: Hashable, generation: tuple[int, ...]) -> ExecutionResult | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.generation != generation or entry.expires_at <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.result

    def store(
        self, key: Hashable, years: tuple[int, ...], read_at: tuple[int, ...], result: object
    ) -> None:
        """Keep ``result`` if it has no errors and nothing changed since ``read_at``."""
        if not isinstance(result, ExecutionResult) or result.errors:
            return
        if self.generations.of(years) != read_at:  # changed while executing: already stale
            return
        self._entries[key] = _Entry(read_at, self._clock() + self.ttl_s, result)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def count(self, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.result_cache.labels(result=outcome).inc()

    # --- which operations -----------------------------------------------------------------
    def plan(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        query: str,
        operation_name: str | None,
    ) -> tuple[YearSource, ...] | None:
        """Where each root field's fiscal year comes from; None: not cacheable."""
        key = (query, operation_name)
        if key in self._plans:
            self._plans.move_to_end(key)
            return self._plans[key]
        found = plan_operation(schema, document, operation_name)
        self._plans[key] = found
        while len(self._plans) > PLAN_CACHE_SIZE:
            self._plans.popitem(last=False)
        return found


def plan_operation(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> tuple[YearSource, ...] | None:
    """The fiscal-year sources of a cacheable query's root fields; None if not cacheable."""
    operation = _operation(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    defaults = {
        d.variable.name.value: (None if d.default_value is None else _literal(d.default_value))
        for d in operation.variable_definitions or ()
    }
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.query_type
    if root is None or not _cacheable(schema, root, operation.selection_set, fragments, set()):
        return None
    years: list[YearSource] = []
    for field in _root_fields(operation.selection_set, fragments):
        arguments = {a.name.value: a.value for a in field.arguments or ()}
        if set(arguments) & UNCACHEABLE_ARGUMENTS.get(field.name.value, frozenset()):
            return None
        value = arguments.get("fiscalYear")
        if isinstance(value, IntValueNode):
            years.append(int(value.value))
        elif isinstance(value, VariableNode):
            years.append((value.name.value, defaults.get(value.name.value)))
        elif field.name.value != "__typename":
            return None
    return tuple(years)


def _literal(value: object) -> object:
    return int(value.value) if isinstance(value, IntValueNode) else None


def _operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next(
        (o for o in operations if o.name is not None and o.name.value == operation_name), None
    )


def _root_fields(
    selections: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _root_fields(fragment.selection_set, fragments)


def _cacheable(
    schema: GraphQLSchema,
    parent: GraphQLObjectType,
    selections: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: set[str],
) -> bool:
    """True if every field selected (through fragments too) is in ``CACHEABLE_FIELDS``."""
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            if name == "__typename":
                continue
            if name not in CACHEABLE_FIELDS.get(parent.name, frozenset()):
                return False
            child = get_named_type(parent.fields[name].type)
            if selection.selection_set is not None and not (
                isinstance(child, GraphQLObjectType)
                and _cacheable(schema, child, selection.selection_set, fragments, seen)
            ):
                return False
        else:
            inner = _fragment(selection, fragments, seen)
            if inner is None:
                return False
            condition, selection_set, fragment_name = inner
            target = parent if condition is None else schema.get_type(condition.name.value)
            inside = seen if fragment_name is None else seen | {fragment_name}
            if not isinstance(target, GraphQLObjectType) or not _cacheable(
                schema, target, selection_set, fragments, inside
            ):
                return False
    return True


def _fragment(
    selection: object, fragments: Mapping[str, FragmentDefinitionNode], seen: set[str]
) -> tuple[NamedTypeNode | None, SelectionSetNode, str | None] | None:
    """(type condition, selections, fragment name) of a fragment; None: unknown or a cycle."""
    if isinstance(selection, InlineFragmentNode):
        return selection.type_condition, selection.selection_set, None
    if isinstance(selection, FragmentSpreadNode):
        fragment = fragments.get(selection.name.value)
        if fragment is not None and fragment.name.value not in seen:
            return fragment.type_condition, fragment.selection_set, fragment.name.value
    return None


def _years(
    sources: tuple[YearSource, ...], variables: Mapping[str, object]
) -> tuple[int, ...] | None:
    """The fiscal years an operation reads; None when a variable is missing or no integer
    (execution then reports the error, and nothing is cached)."""
    years: set[int] = set()
    for source in sources:
        if isinstance(source, int):
            years.add(source)
            continue
        name, default = source
        value = variables.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        years.add(value)
    return tuple(sorted(years))


def _canonical(variables: Mapping[str, object] | None) -> str:
    return json.dumps(variables or {}, sort_keys=True, separators=(",", ":"), default=repr)


class CachedResults(SchemaExtension):
    """Answers cacheable operations from ``ResultCache`` (placed after ``RequireApiKey``)."""

    def __init__(self, cache: ResultCache) -> None:
        self.cache = cache

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        cache = self.cache
        document = context.graphql_document
        if document is None or context.query is None:
            yield
            return
        operation = _operation(document, context.operation_name)
        if operation is not None and operation.operation is OperationType.MUTATION:
            yield
            cache.everything_changed()  # read-your-writes before the announcement arrives
            return
        sources = cache.plan(
            context.schema._schema, document, context.query, context.operation_name
        )
        principal = getattr(getattr(context.context, "caller", None), "principal", None)
        variables = context.variables or {}
        years = None if sources is None else _years(sources, variables)
        if years is None or not isinstance(principal, Principal):
            yield
            return
        if cache.ttl_s <= 0 or not cache.is_live():
            cache.count("bypass")
            yield
            return
        scope = access_scope(principal)
        day = cache.utc_day()
        key = (day, context.query, context.operation_name, _canonical(variables), scope)
        read_at = cache.generations.of(years)
        found = cache.lookup(key, read_at)
        running = cache.running.get(key)
        if found is None and running is not None and running[0] == read_at:
            found = await asyncio.shield(running[1])  # the same miss, already executing
        if found is not None:
            cache.count("hit")
            context.result = found
            yield
            return
        cache.count("miss")
        mine: asyncio.Future[ExecutionResult | None] = asyncio.get_running_loop().create_future()
        cache.running[key] = (read_at, mine)
        try:
            yield
        finally:
            if cache.running.get(key, (None, None))[1] is mine:
                del cache.running[key]
            result = context.result
            shared = isinstance(result, ExecutionResult) and not result.errors
            mine.set_result(result if shared else None)  # type: ignore[arg-type]
        cache.store(key, years, read_at, context.result)
