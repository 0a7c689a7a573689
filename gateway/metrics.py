"""The gateway's Prometheus metrics (names ``qsmo_gateway_…``), on a registry of its own.

Labels are bounded: ``operation`` is the client's operation name when it is a plain GraphQL
name and one of the first ``MAX_OPERATION_NAMES`` seen (else ``other``; no name:
``anonymous``); ``outcome`` and ``code`` come from fixed lists; ``field`` is a root field of
the schema. Never a query text, variable value or key.
"""

import re
import time
from collections.abc import Iterator, Mapping

from graphql import DocumentNode, FieldNode, GraphQLError, OperationDefinitionNode
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from gateway.errors import error_code
from shared.identity.metrics import IdentityMetrics

MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_RENDER_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 60)
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_OUTCOME_BY_CODE = {
    "UNAUTHENTICATED": "unauthenticated",
    "FORBIDDEN": "forbidden",
    "BAD_USER_INPUT": "bad_input",
    "NOT_FOUND": "bad_input",
    "INTERNAL_SERVER_ERROR": "error",
    "SERVICE_UNAVAILABLE": "error",
}
KNOWN_CODES = frozenset(
    {
        *_OUTCOME_BY_CODE,
        "CONFLICT",
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "QUERY_TOO_LARGE",
        "QUERY_TOO_DEEP",
        "TOO_MANY_ALIASES",
        "QUERY_TOO_COMPLEX",
    }
)


def outcome_of(errors: list[GraphQLError] | None) -> str:
    """One outcome label for a result: its most serious error decides."""
    if not errors:
        return "ok"
    outcomes = {_OUTCOME_BY_CODE.get(error_code(e), "rejected") for e in errors}
    for outcome in ("error", "unauthenticated", "forbidden", "bad_input"):
        if outcome in outcomes:
            return outcome
    return "rejected"


class GatewayMetrics:
    """Request durations, resolver errors and live subscriptions."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._names: set[str] = set()
        self.identity = IdentityMetrics(registry, "gateway")
        """Refused credentials by reason, accepted tokens (``shared.identity``)."""
        self.duration = Histogram(
            "qsmo_gateway_request_duration_seconds",
            "Time to answer a GraphQL query or mutation, by operation name, type and outcome.",
            ["operation", "type", "outcome"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.resolver_errors = Counter(
            "qsmo_gateway_resolver_errors_total",
            "Errors raised while resolving fields, by root field and error code.",
            ["field", "code"],
            registry=registry,
        )
        self.active_subscriptions = Gauge(
            "qsmo_gateway_active_subscriptions",
            "GraphQL subscriptions currently open, by subscription field.",
            ["subscription"],
            registry=registry,
        )
        self.live_messages = Counter(
            "qsmo_gateway_live_messages_total",
            "Kafka messages fanned out to subscribers, by topic kind and result.",
            ["kind", "result"],
            registry=registry,
        )
        self.result_cache = Counter(
            "qsmo_gateway_result_cache_total",
            "Cacheable scorecard queries (gateway.result_cache) by result: hit, miss, or "
            "bypass (executed without the cache: live feed not positioned or cache off).",
            ["result"],
            registry=registry,
        )
        self.dropped_subscribers = Counter(
            "qsmo_gateway_dropped_subscribers_total",
            "Subscribers disconnected because they fell a full queue behind.",
            ["subscription"],
            registry=registry,
        )
        self.tool_events_published = Counter(
            "qsmo_gateway_tool_events_published_total",
            "Events the provider tools owed and published on the events topic, by tool "
            "(self-assessment, survey).",
            ["kind"],
            registry=registry,
        )
        self.tool_events_pending = Gauge(
            "qsmo_gateway_tool_events_pending",
            "Owed tool events the last outbox sweep could not publish, by tool.",
            ["kind"],
            registry=registry,
        )
        self.review_packets = Counter(
            "qsmo_gateway_review_packets_total",
            "Review packet renderings by the packet worker, by outcome: done, or failed "
            "(an attempt; the third failed attempt leaves the packet FAILED).",
            ["outcome"],
            registry=registry,
        )
        self.review_packet_seconds = Histogram(
            "qsmo_gateway_review_packet_render_seconds",
            "Time to build and store one review packet (every format).",
            buckets=_RENDER_BUCKETS,
            registry=registry,
        )
        self.review_packet_jobs = Gauge(
            "qsmo_gateway_review_packet_jobs_pending",
            "Review packets asked for and not rendered yet, at the worker's last sweep.",
            registry=registry,
        )
        # --- the Adjust loop (#19, gateway/reviews/adjust_loop.py) ---
        self.adjust_sweeps = Counter(
            "qsmo_gateway_adjust_sweeps_total",
            "Adjust-loop sweeps, by outcome (ok, failed).",
            ["outcome"],
            registry=registry,
        )
        self.adjust_actions_drafted = Counter(
            "qsmo_gateway_adjust_actions_drafted_total",
            "Draft improvement actions the Adjust loop opened, by kind of trigger "
            "(red_quarters, long_degraded).",
            ["kind"],
            registry=registry,
        )
        self.adjust_overdue_published = Counter(
            "qsmo_gateway_adjust_overdue_published_total",
            "ImprovementActionOverdue messages the Adjust loop published, by outcome "
            "(published, failed: retried next sweep).",
            ["outcome"],
            registry=registry,
        )

    def operation_label(self, name: str | None) -> str:
        """A bounded label for a client-chosen operation name."""
        if not name:
            return "anonymous"
        if not _NAME.match(name):
            return "other"
        if name in self._names:
            return name
        if len(self._names) >= MAX_OPERATION_NAMES:
            return "other"
        self._names.add(name)
        return name

    def observe_errors(
        self, errors: list[GraphQLError], root_fields: Mapping[str, str] | None = None
    ) -> None:
        """Count errors raised by resolvers (those with a path), by root field and code.

        ``root_fields`` maps response keys (aliases) to field names; a key it does not name
        counts as ``other``, so aliases never become label values.
        """
        for error in errors:
            if not error.path:
                continue
            field = (root_fields or {}).get(str(error.path[0]), "other")
            code = error_code(error)
            self.resolver_errors.labels(
                field=field, code=code if code in KNOWN_CODES else "other"
            ).inc()


def root_fields(document: DocumentNode | None, operation_name: str | None) -> dict[str, str]:
    """Response key → field name of the executed operation's root fields."""
    found: dict[str, str] = {}
    for definition in document.definitions if document else ():
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name is not None and (
            definition.name is None or definition.name.value != operation_name
        ):
            continue
        for selection in definition.selection_set.selections:
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                found[key] = selection.name.value
    return found


class RequestMetrics(SchemaExtension):
    """Times each query and mutation and labels it with its outcome."""

    def __init__(self, metrics: GatewayMetrics) -> None:
        self.metrics = metrics

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        except Exception as refusal:
            # Raised by an ``on_execute`` hook (``RequireApiKey`` refusing a caller without a
            # valid key): strawberry makes it the result only after every hook has run.
            error = refusal if isinstance(refusal, GraphQLError) else None
            self._observe(started, [error or GraphQLError(str(refusal), original_error=refusal)])
            raise
        result = self.execution_context.result
        self._observe(
            started,
            getattr(result, "errors", None) or self.execution_context.pre_execution_errors,
        )

    def _observe(self, started: float, errors: list[GraphQLError] | None) -> None:
        context = self.execution_context
        try:
            kind = context.operation_type
        except RuntimeError:  # unparseable document: no operation type
            kind = OperationType.QUERY
        if kind is OperationType.SUBSCRIPTION:
            return
        self.metrics.duration.labels(
            operation=self.metrics.operation_label(context.operation_name),
            type=kind.value,
            outcome=outcome_of(errors),
        ).observe(time.perf_counter() - started)
