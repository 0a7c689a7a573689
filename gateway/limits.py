"""Limits that keep abusive operations from reaching the resolvers.

Checked before anything executes, in this order:

1. **Size** (while parsing): at most ``max_tokens`` lexical tokens and comments, and a source
   of at most ``max_source_length`` characters → ``QUERY_TOO_LARGE``.
2. **Depth**: fields nested at most ``max_depth`` levels (``{ a { b } }`` is 2) →
   ``QUERY_TOO_DEEP``.
3. **Aliases**: at most ``max_aliases`` aliased fields in the document → ``TOO_MANY_ALIASES``.
4. **Complexity**: at most ``max_complexity`` fields resolved per operation, *estimated*:
   fragments are expanded where they are spread, and a list multiplies what is selected under
   it by its expected length — a paginated list by its ``first`` (the maximum page size when
   ``first`` is a variable), a catalog list by the catalog's size (``list_sizes``, e.g. a
   dimension's measures), any other list by ``DEFAULT_LIST_SIZE`` → ``QUERY_TOO_COMPLEX``.
5. **Page size**: a literal ``first`` above ``max_page_size`` (variables are checked by the
   resolvers) → ``BAD_USER_INPUT``.

Introspection fields (``__schema`` …) count for aliases and size but not for depth or
complexity, so GraphiQL keeps working.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import cast

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from strawberry.extensions import SchemaExtension

from gateway.errors import BadUserInputError, LimitExceededError
from gateway.settings import GatewaySettings
from shared.domain.catalog import Catalog
from shared.pagination import MAX_PAGE_SIZE, InvalidPageSizeError, check_page_size

PAGE_ARGUMENT = "first"


DEFAULT_LIST_SIZE = 10


def catalog_list_sizes(catalog: Catalog) -> dict[str, int]:
    """Expected list lengths from the catalog: its largest framework, and twice its QSMOs
    (admins add QSMOs at run time)."""
    frameworks = catalog.frameworks
    dimensions = max(len(f.dimensions) for f in frameworks)
    measures = max(len(f.measures) for f in frameworks)
    per_dimension = max(len(f.measures_of(d.id)) for f in frameworks for d in f.dimensions)
    qsmos = 2 * len(catalog.qsmos)
    return {
        "Query.qsmos": qsmos,
        "Query.scorecards": qsmos + 1,
        "Query.frameworks": len(frameworks),
        "Framework.phases": max(len(f.phases) for f in frameworks),
        "Framework.dimensions": dimensions,
        "Framework.measures": measures,
        "Dimension.measures": per_dimension,
        "Scorecard.dimensions": dimensions,
        "Scorecard.measures": measures,
        "ScorecardDimension.measures": per_dimension,
        "ScorecardDiff.measures": measures,
        "ScorecardDiff.dimensions": dimensions,
        "ScorecardChangedEvent.transitions": measures + dimensions + 1,
        "ScorecardChangedEvent.staleMeasures": measures,
        "Measure.qsmoTargets": qsmos,
        "MeasureSeries.points": 12,
    }


@dataclass(frozen=True)
class Limits:
    """The configured limits (``QSMO_GATEWAY_MAX_*``)."""

    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 3000
    max_complexity: int = 20_000
    max_page_size: int = MAX_PAGE_SIZE
    default_page_size: int = 20
    list_sizes: Mapping[str, int] = field(default_factory=dict)
    """Expected lengths of lists, by ``"Type.field"`` (see ``catalog_list_sizes``)."""

    @property
    def max_source_length(self) -> int:
        """Characters a document may have: generous for ``max_tokens`` tokens."""
        return self.max_tokens * 40

    @classmethod
    def from_settings(
        cls, settings: GatewaySettings, list_sizes: Mapping[str, int] | None = None
    ) -> "Limits":
        return cls(
            list_sizes=dict(list_sizes or {}),
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            max_complexity=settings.max_complexity,
            max_page_size=settings.max_page_size,
            default_page_size=settings.default_page_size,
        )

    def page_size(self, first: int | None) -> int:
        """The page size for ``first`` (None: the default); BAD_USER_INPUT outside 1..max."""
        if first is None:
            return self.default_page_size
        try:
            return check_page_size(first, self.max_page_size)
        except InvalidPageSizeError as error:
            raise BadUserInputError(str(error), field=PAGE_ARGUMENT) from None


@dataclass(frozen=True)
class Measurement:
    """What one selection costs: nesting depth, aliases and fields resolved."""

    depth: int = 0
    aliases: int = 0
    complexity: int = 0


@dataclass
class _Walker:
    """Measures selections against the schema, each fragment once (memoized)."""

    limits: Limits
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    oversized_pages: list[FieldNode] = field(default_factory=list)
    _memo: dict[str, Measurement] = field(default_factory=dict)
    _open: set[str] = field(default_factory=set)

    def selection_set(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None
    ) -> Measurement:
        parts = list(self._selections(selection_set, parent))
        return Measurement(
            depth=max((p.depth for p in parts), default=0),
            aliases=sum(p.aliases for p in parts),
            complexity=sum(p.complexity for p in parts),
        )

    def _selections(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None
    ) -> Iterator[Measurement]:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                yield self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                yield self.selection_set(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                yield self._fragment(selection.name.value)

    def _fragment(self, name: str) -> Measurement:
        if name in self._memo:
            return self._memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self._open:
            return Measurement()  # unknown or cyclic: graphql-core's own rules report it
        self._open.add(name)
        parent = self.schema.get_type(definition.type_condition.name.value)
        measured = self.selection_set(definition.selection_set, parent)
        self._open.discard(name)
        self._memo[name] = measured
        return measured

    def _field(self, node: FieldNode, parent: GraphQLNamedType | None) -> Measurement:
        name = node.name.value
        definition = parent.fields.get(name) if isinstance(parent, GraphQLObjectType) else None
        inner = None if definition is None else get_named_type(definition.type)
        children = self.selection_set(node.selection_set, inner)
        aliases = children.aliases + (1 if node.alias else 0)
        if name.startswith("__"):
            return Measurement(depth=0, aliases=aliases, complexity=0)
        size = self._size(node, parent, definition)
        return Measurement(
            depth=1 + children.depth,
            aliases=aliases,
            complexity=1 + size * children.complexity,
        )

    def _size(
        self, node: FieldNode, parent: GraphQLNamedType | None, definition: GraphQLField | None
    ) -> int:
        """How many times the selection under this field is resolved."""
        for argument in node.arguments or ():
            if argument.name.value != PAGE_ARGUMENT:
                continue
            if isinstance(argument.value, IntValueNode):
                size = int(argument.value.value)
                if size > self.limits.max_page_size:
                    self.oversized_pages.append(node)
                return max(size, 1)
            if isinstance(argument.value, VariableNode):
                return self.limits.max_page_size
        if definition is None or parent is None:
            return 1
        if not is_list_type(get_nullable_type(definition.type)):
            return 1
        if parent.name.endswith("Connection"):
            return 1  # edges/nodes of a page: already counted at the page's size
        return self.limits.list_sizes.get(f"{parent.name}.{node.name.value}", DEFAULT_LIST_SIZE)


def _too_large(
    kind: str, actual: int, limit: int, advice: str, node: FieldNode | None
) -> GraphQLError:
    codes = {"depth": "QUERY_TOO_DEEP", "aliases": "TOO_MANY_ALIASES"}
    error = LimitExceededError(
        f"the operation's {kind} is {actual}, over the limit of {limit}; {advice} "
        "(limits: docs/graphql.md#limits)",
        limit=limit,
        actual=actual,
    )
    error.extensions["code"] = codes.get(kind, "QUERY_TOO_COMPLEX")
    return GraphQLError(error.message, nodes=node, original_error=error)


def operation_limits_rule(limits: Limits) -> type[ValidationRule]:
    """A validation rule enforcing depth, aliases, complexity and literal page sizes."""

    class OperationLimits(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            definitions = context.document.definitions
            fragments = {
                d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)
            }
            walker = _Walker(limits, context.schema, fragments)
            operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
            measured = [
                walker.selection_set(op.selection_set, context.schema.get_root_type(op.operation))
                for op in operations
            ]
            aliases = sum(m.aliases for m in measured)
            depth = max((m.depth for m in measured), default=0)
            complexity = max((m.complexity for m in measured), default=0)
            if depth > limits.max_depth:
                self.report_error(
                    _too_large(
                        "depth", depth, limits.max_depth, "ask for fewer nested levels", None
                    )
                )
            if aliases > limits.max_aliases:
                self.report_error(
                    _too_large(
                        "aliases", aliases, limits.max_aliases, "send several requests", None
                    )
                )
            if complexity > limits.max_complexity:
                advice = "select fewer fields or ask for smaller pages ('first')"
                self.report_error(
                    _too_large("complexity", complexity, limits.max_complexity, advice, None)
                )
            for node in walker.oversized_pages[:1]:
                page_error = BadUserInputError(
                    f"'first' must be between 1 and {limits.max_page_size}; page through "
                    "longer lists with 'after'.",
                    field=PAGE_ARGUMENT,
                )
                self.report_error(
                    GraphQLError(page_error.message, nodes=node, original_error=page_error)
                )

    return OperationLimits


class ParseLimits(SchemaExtension):
    """Stops the parser at ``max_tokens`` tokens (comments count too) or an oversized source."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def on_operation(self) -> Iterator[None]:
        # graphql-core 3.3's non-deprecated limits; strawberry's TypedDict only names max_tokens
        options = cast("dict[str, int]", self.execution_context.parse_options)
        options["max_lexical_tokens"] = self.limits.max_tokens
        options["max_comments"] = self.limits.max_tokens
        options["max_source_length"] = self.limits.max_source_length
        yield
