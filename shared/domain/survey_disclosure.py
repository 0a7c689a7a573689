"""Disclosure control for survey results (pure): which groups' figures may be published.

FRAMEWORK.md rev. 2: results are shown only for groups of at least 5 respondents, and a
smaller group's figures are withheld "also in totals from which they could be subtracted".

The results queries can publish, for one wave, these **tables** (``GroupKey``): the total;
groups by role, agency, function and provider; and, restricted to one provider, that
provider's groups by role, agency and function. Every figure of a group (respondents, each
item's mean, hence each item's sum) is a linear function of the per-cell counts and sums of
the full cross-classification (role × agency × function × provider). So a combination of
published figures can reveal exactly the sets whose indicator vector (over the cells) lies
in the linear span of the published groups' indicator vectors.

``disclose`` decides the whole family at once, so that no combination of queries can be used:

1. primary suppression: every group of fewer than ``MIN_RESPONDENTS`` is withheld;
2. audit: the **sensitive sets** are every partial cross-classification (any subset of the
   four dimensions fixed to values, "no provider" included) with 1..4 respondents, and each
   table's withheld groups taken together when they hold 1..4 (two withheld groups of 1 and
   2 must not be computable as a pair from the total); if one of
   them lies in the span of the published groups, one more published group overlapping it
   is withheld (complementary suppression: in the order a provider's table's groups, the
   smaller, the wave's total last, the first group every combination revealing that set
   needs — often a second group of the same table — else the first overlapping it), and
   the audit runs again, until none does.

The span test is numerical (numpy SVD, a generous tolerance: a doubtful case counts as
revealed, which only withholds more). tests/unit/domain/test_survey_disclosure_property.py
checks the outcome with exact rational arithmetic.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations

import numpy as np
import numpy.typing as npt

MIN_RESPONDENTS = 5
RESIDUAL_TOLERANCE = 1e-6

Classification = tuple[str, str, str, str | None]
"""A respondent as the results see them: (role, agency, function, provider or None)."""


class Dimension(StrEnum):
    """What a table groups by; the value is the position in a ``Classification``."""

    ROLE = "role"
    AGENCY = "agency"
    FUNCTION = "function"
    PROVIDER = "provider"

    @property
    def position(self) -> int:
        return list(Dimension).index(self)


@dataclass(frozen=True)
class GroupKey:
    """One group of one table: ``scope`` the provider the table is restricted to (None:
    every response), ``dimension`` None for the table's total, ``value`` the group's value.

    Use ``group_key``: it names a provider's total one way only.
    """

    scope: str | None
    dimension: Dimension | None
    value: str | None

    @property
    def order(self) -> tuple[str, str, str]:
        """A sort key (``None`` first)."""
        return (self.scope or "", self.dimension or "", self.value or "")


TOTAL = GroupKey(None, None, None)


def group_key(scope: str | None, dimension: Dimension | None, value: str | None) -> GroupKey:
    """The canonical key: a provider's total (scoped or not) is (None, PROVIDER, provider)."""
    if scope is not None and dimension in (None, Dimension.PROVIDER):
        return GroupKey(None, Dimension.PROVIDER, scope)
    return GroupKey(scope, dimension, value)


class WithheldReason(StrEnum):
    TOO_FEW = "fewer than 5 respondents"
    COMPLEMENTARY = (
        "withheld so that a group of fewer than 5 respondents cannot be computed from the "
        "published figures"
    )


@dataclass(frozen=True)
class Disclosure:
    """The decision for one wave: each group's size and the groups withheld (with why)."""

    sizes: Mapping[GroupKey, int]
    withheld: Mapping[GroupKey, WithheldReason]

    def published(self, key: GroupKey) -> bool:
        return key in self.sizes and key not in self.withheld


def groups_of(respondent: Classification) -> list[GroupKey]:
    """Every table group ``respondent`` counts in (see the module docstring's tables)."""
    role, agency, function, provider = respondent
    keys = [
        TOTAL,
        GroupKey(None, Dimension.ROLE, role),
        GroupKey(None, Dimension.AGENCY, agency),
        GroupKey(None, Dimension.FUNCTION, function),
    ]
    if provider is not None:
        keys.append(group_key(None, Dimension.PROVIDER, provider))
        keys += [group_key(provider, d, respondent[d.position]) for d in _SCOPED]
    return keys


_SCOPED = (Dimension.ROLE, Dimension.AGENCY, Dimension.FUNCTION)


def disclose(respondents: Sequence[Classification]) -> Disclosure:
    """Which groups of the wave's tables may be published (see the module docstring).

    Empty input: no groups. Deterministic: the same respondents in any order give the same
    decision.
    """
    cells = sorted(set(respondents), key=_sortable)
    index = {cell: i for i, cell in enumerate(cells)}
    weight = np.zeros(len(cells))
    members: dict[GroupKey, set[int]] = {}
    for respondent in respondents:
        weight[index[respondent]] += 1
        for key in groups_of(respondent):
            members.setdefault(key, set()).add(index[respondent])
    sizes = {key: int(weight[list(cells_of)].sum()) for key, cells_of in members.items()}
    withheld = {k: WithheldReason.TOO_FEW for k, n in sizes.items() if n < MIN_RESPONDENTS}
    published = sorted((k for k in sizes if k not in withheld), key=lambda k: k.order)
    base = _sensitive_sets(cells, weight)
    while published:
        withheld_unions = _withheld_unions(withheld, members, weight, len(cells))
        sensitive = np.vstack([base, withheld_unions])
        if not len(sensitive):
            break
        rows = _indicators([members[k] for k in published], len(cells))
        revealed = _first_in_span(rows, sensitive)
        if revealed is None:
            break
        victim = _victim(published, members, sizes, revealed, len(cells))
        published.remove(victim)
        withheld[victim] = WithheldReason.COMPLEMENTARY
    return Disclosure(sizes=sizes, withheld=withheld)


def _victim(
    published: Sequence[GroupKey],
    members: Mapping[GroupKey, set[int]],
    sizes: Mapping[GroupKey, int],
    revealed: npt.NDArray[np.float64],
    width: int,
) -> GroupKey:
    """The group to withhold so that ``revealed`` leaves the span, in the order a provider's
    table's groups first, then the smaller, the wave's total last: the first group that
    every combination revealing it needs (withholding it alone takes ``revealed`` out of
    the span, e.g. a second agency beside a small one) other than the total; else the first
    group the least-norm combination uses (the total only when it is the only one); else
    the first group overlapping ``revealed``. So the large groups readers need most, and the
    total above all, stay published."""
    order = sorted(published, key=lambda k: (k == TOTAL, k.scope is None, sizes[k], k.order))
    rows = _indicators([members[k] for k in order], width)
    needed, used = _needed_rows(rows, revealed)
    for position, key in enumerate(order):
        if needed[position] and key != TOTAL:
            return key
    for position, key in enumerate(order):  # the total last: another group it combines with
        if used[position]:
            return key
    cells = set(np.flatnonzero(revealed))
    return next(k for k in order if members[k] & cells)


def _needed_rows(
    rows: npt.NDArray[np.float64], target: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """For each row: whether every combination of ``rows`` equal to ``target`` uses it, and
    whether the least-norm one does.

    The combinations are ``c0 + n`` (``c0`` the least-norm one, ``n`` in the null space of
    ``rows.T``); a row's coefficient is the same non-zero number in all of them exactly when
    ``c0`` uses it and no null-space vector does.
    """
    coefficients = np.linalg.lstsq(rows.T, target, rcond=None)[0]
    _, singular, vt = np.linalg.svd(rows.T, full_matrices=True)
    tolerance = singular.max(initial=0.0) * max(rows.shape) * np.finfo(float).eps
    null_space = vt[int(np.sum(singular > tolerance)) :]
    free = np.any(np.abs(null_space) > RESIDUAL_TOLERANCE, axis=0)
    used = np.abs(coefficients) > RESIDUAL_TOLERANCE
    return used & ~free, used


def _withheld_unions(
    withheld: Mapping[GroupKey, WithheldReason],
    members: Mapping[GroupKey, set[int]],
    weight: npt.NDArray[np.float64],
    width: int,
) -> npt.NDArray[np.float64]:
    """Indicator rows of each table's withheld groups taken together, when they hold 1..4
    respondents (a table's total minus its published groups would give them away)."""
    by_table: dict[tuple[str | None, Dimension | None], set[int]] = {}
    for key in withheld:
        if key.dimension is not None:
            by_table.setdefault((key.scope, key.dimension), set()).update(members[key])
    small = [
        cells for cells in by_table.values() if 0 < weight[list(cells)].sum() < MIN_RESPONDENTS
    ]
    return _indicators(small, width)


def _sortable(cell: Classification) -> tuple[str, ...]:
    return (*cell[:3], cell[3] or "")


def _sensitive_sets(
    cells: Sequence[Classification], weight: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Indicator rows of every partial cross-classification with 1..4 respondents."""
    found: dict[tuple[int, ...], None] = {}
    for fixed in _dimension_subsets():
        by_value: dict[tuple[str | None, ...], list[int]] = {}
        for i, cell in enumerate(cells):
            by_value.setdefault(tuple(cell[p] for p in fixed), []).append(i)
        for indices in by_value.values():
            if 0 < weight[indices].sum() < MIN_RESPONDENTS:
                found[tuple(indices)] = None
    return _indicators([set(s) for s in found], len(cells))


def _dimension_subsets() -> Iterable[tuple[int, ...]]:
    positions = range(len(Dimension))
    for size in range(len(Dimension) + 1):
        yield from combinations(positions, size)


def _indicators(sets: Sequence[set[int]], width: int) -> npt.NDArray[np.float64]:
    matrix = np.zeros((len(sets), width))
    for row, indices in enumerate(sets):
        matrix[row, list(indices)] = 1.0
    return matrix


def _first_in_span(
    rows: npt.NDArray[np.float64], candidates: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64] | None:
    """The first candidate row in the row space of ``rows``, or None."""
    _, singular, vt = np.linalg.svd(rows, full_matrices=False)
    tolerance = singular.max(initial=0.0) * max(rows.shape) * np.finfo(float).eps
    basis = vt[singular > tolerance]
    residual = candidates - (candidates @ basis.T) @ basis
    inside = np.flatnonzero(np.linalg.norm(residual, axis=1) < RESIDUAL_TOLERANCE)
    return candidates[inside[0]] if len(inside) else None
