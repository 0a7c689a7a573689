"""Assemble the schema: root types, abuse limits, auth, metrics and the error policy."""

import contextlib
import logging
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import AddValidationRules, SchemaExtension, ValidationCache
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from gateway.auth import RequireApiKey
from gateway.context import FreshLoadersPerOperation
from gateway.errors import ErrorPolicy, is_expected
from gateway.limits import Limits, ParseLimits, operation_limits_rule
from gateway.metrics import GatewayMetrics, RequestMetrics, root_fields
from gateway.result_cache import CachedResults, ResultCache
from gateway.schema.mutations_activity import ActivityMutations
from gateway.schema.mutations_data_call import DataCallMutations
from gateway.schema.mutations_framework import FrameworkMutations
from gateway.schema.mutations_providers import ProviderMutations
from gateway.schema.mutations_reviews import ReviewMutations
from gateway.schema.mutations_revisions import RevisionMutations
from gateway.schema.mutations_self_assessment import SelfAssessmentMutations
from gateway.schema.mutations_stakeholders import StakeholderMutations
from gateway.schema.mutations_survey import SurveyMutations
from gateway.schema.queries_activity import ActivityQueries
from gateway.schema.queries_data_call import DataCallQueries
from gateway.schema.queries_framework import FrameworkQueries
from gateway.schema.queries_providers import ProviderQueries
from gateway.schema.queries_reviews import ReviewQueries
from gateway.schema.queries_revisions import RevisionQueries
from gateway.schema.queries_scorecards import ScorecardQueries
from gateway.schema.queries_self_assessment import SelfAssessmentQueries
from gateway.schema.queries_stakeholders import StakeholderQueries
from gateway.schema.queries_survey import SurveyQueries
from gateway.schema.queries_tiers import TierQueries
from gateway.schema.subscriptions import Subscription

log = logging.getLogger("gateway.errors")
CACHE_SIZE = 256

Query = merge_types(
    "Query",
    (
        FrameworkQueries,
        ScorecardQueries,
        ActivityQueries,
        ProviderQueries,
        TierQueries,
        SelfAssessmentQueries,
        DataCallQueries,
        SurveyQueries,
        ReviewQueries,
        RevisionQueries,
        StakeholderQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        FrameworkMutations,
        ActivityMutations,
        ProviderMutations,
        SelfAssessmentMutations,
        DataCallMutations,
        SurveyMutations,
        ReviewMutations,
        RevisionMutations,
        StakeholderMutations,
    ),
)


@lru_cache(maxsize=CACHE_SIZE)
def _parse(query: str, options: tuple[tuple[str, int], ...]) -> DocumentNode:
    limits: dict[str, Any] = dict(options)
    return parse(query, **limits)


class CachedParse(SchemaExtension):
    """Parses each distinct document once (LRU); a document that fails is left to strawberry.

    Unlike strawberry's ``ParserCache``, a syntax error here does not escape the operation:
    strawberry parses the document again and reports the error like any other.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is None:
            options = tuple(sorted(context.parse_options.items()))
            with contextlib.suppress(GraphQLError):
                context.graphql_document = _parse(context.query, options)
        yield


class GatewaySchema(strawberry.Schema):
    """Logs unexpected errors with their trace (never sent) and counts resolver errors."""

    def __init__(self, *args: Any, metrics: GatewayMetrics | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        operation = execution_context.operation_name if execution_context else None
        for error in errors:
            if not is_expected(error):
                log.error(
                    "unexpected error while resolving %s",
                    ".".join(str(p) for p in error.path or ()),
                    exc_info=error.original_error,
                    extra={"operation": operation},
                )
        if self.metrics is not None:
            document = execution_context.graphql_document if execution_context else None
            self.metrics.observe_errors(errors, root_fields(document, operation))


def build_schema(
    limits: Limits | None = None,
    metrics: GatewayMetrics | None = None,
    results: ResultCache | None = None,
) -> GatewaySchema:
    """The gateway's schema with its extensions (``limits`` default: ``Limits()``).

    ``results``: answer cacheable scorecard queries from it (after the API-key check).
    """
    limits = limits or Limits()
    rule = operation_limits_rule(limits)  # one class, so the validation cache can hit
    extensions: list[Any] = [
        lambda: ParseLimits(limits),
        CachedParse,
        lambda: AddValidationRules([rule]),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
        FreshLoadersPerOperation,
        RequireApiKey,
    ]
    if results is not None:
        extensions.append(lambda: CachedResults(results))
    if metrics is not None:
        extensions.append(lambda: RequestMetrics(metrics))
    extensions.append(ErrorPolicy)
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        metrics=metrics,
    )
