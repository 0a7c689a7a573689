"""Property: no combination of the survey results queries reveals a group of fewer than 5.

For random response sets (roles × agencies × functions × providers, 0..60 responses) the
test asks ``wave_results`` for every table the results queries can publish (the total and
each ``groupBy``, unscoped and for every provider), then checks, with its own exact rational
arithmetic (``fractions.Fraction`` Gaussian elimination over the responses, not the
production numpy code):

- every published group has at least 5 respondents, and its figures are its members' (the
  members worked out here from the query's arguments);
- no set of 1..4 respondents that is a group or a cross-classification cell (any subset of
  role, agency, function, provider fixed, "no provider" included) has an indicator vector in
  the span of the published groups' indicator vectors: no sum or difference of published
  figures isolates it.
"""

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime
from fractions import Fraction
from itertools import combinations, product

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.catalog import load_catalog
from shared.domain.survey import SurveyItem, SurveyResponse, SurveyWave
from shared.domain.survey_disclosure import TOTAL, Dimension, disclose
from shared.domain.survey_results import wave_disclosure, wave_results

PROPERTIES = settings(max_examples=200, database=None, deadline=None)
ROLES = ("executive", "manager", "end-user")
AGENCIES = ("DOI", "VA", "GSA", "ED")
FUNCTIONS = ("financial-management", "payroll", "grants")
PROVIDERS = ("doi-ibc", "usda-nfc", "treasury-arc", None)
WAVE = SurveyWave(
    id="fy2026-test",
    fiscal_year=2026,
    name="Test",
    opens_on=date(2026, 1, 5),
    closes_on=date(2026, 2, 5),
    items=(SurveyItem(id="overall", text="Overall?", overall=True),),
    status="closed",
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
)
ATTRIBUTES = ("role", "agency", "function", "provider")


def responses_from(rows: Sequence[tuple[str, str, str, str | None, int]]) -> list[SurveyResponse]:
    return [
        SurveyResponse(
            id=f"r{i}",
            wave=WAVE.id,
            role=role,
            agency=agency,
            function=function,
            provider=provider,
            ratings={"overall": rating},
        )
        for i, (role, agency, function, provider, rating) in enumerate(rows)
    ]


RESPONSE = st.tuples(
    st.sampled_from(ROLES),
    st.sampled_from(AGENCIES),
    st.sampled_from(FUNCTIONS),
    st.sampled_from(PROVIDERS),
    st.integers(1, 5),
)
# The size first, so large sets are as likely as small ones (plain lists stay short).
response_sets = st.integers(0, 60).flatmap(lambda n: st.lists(RESPONSE, min_size=n, max_size=n))


def published_groups(responses: list[SurveyResponse]) -> list[frozenset[int]]:
    """Every published group's members (response indices), checked against its figures."""
    return _tables(responses)[0]


def withheld_together(responses: list[SurveyResponse]) -> list[frozenset[int]]:
    """Each table's withheld groups taken together, when they hold 1..4 respondents."""
    return [u for u in _tables(responses)[1] if 1 <= len(u) <= 4]


def _tables(responses: list[SurveyResponse]) -> tuple[list[frozenset[int]], list[frozenset[int]]]:
    disclosure = wave_disclosure(responses)
    published: list[frozenset[int]] = []
    unions: list[frozenset[int]] = []
    for scope, group_by in product([None, *PROVIDERS[:-1]], [None, *Dimension]):
        results = wave_results(WAVE, responses, disclosure, group_by=group_by, provider=scope)
        union: set[int] = set()
        for group in (results.total, *results.groups):
            attribute = None if group.key.dimension is None else group.key.dimension.value
            members = frozenset(
                i
                for i, r in enumerate(responses)
                if (scope is None or r.provider == scope)
                and (attribute is None or getattr(r, attribute) == group.key.value)
            )
            if group.withheld is not None:
                assert group.respondents is None
                assert group.item_means == {}
                if group is not results.total:
                    union |= members
                continue
            assert group.respondents == len(members) >= 5
            mean = Fraction(sum(responses[i].ratings["overall"] for i in members), len(members))
            assert abs(group.item_means["overall"] - float(mean)) < 1e-4
            published.append(members)
        unions.append(frozenset(union))
    return published, unions


def sensitive_sets(responses: list[SurveyResponse]) -> list[frozenset[int]]:
    """Every group or cross-classification cell with 1..4 respondents."""
    found: set[frozenset[int]] = set()
    for size in range(len(ATTRIBUTES) + 1):
        for fixed in combinations(ATTRIBUTES, size):
            cells: dict[tuple[object, ...], set[int]] = {}
            for i, r in enumerate(responses):
                cells.setdefault(tuple(getattr(r, a) for a in fixed), set()).add(i)
            found |= {frozenset(c) for c in cells.values() if 1 <= len(c) <= 4}
    return sorted(found, key=sorted)


def echelon(rows: list[list[Fraction]]) -> list[tuple[int, list[Fraction]]]:
    """A row-echelon basis of ``rows``' span: (pivot column, row with 1 at the pivot)."""
    basis: list[tuple[int, list[Fraction]]] = []
    for row in rows:
        reduced = reduce(row, basis)
        pivot = next((j for j, x in enumerate(reduced) if x != 0), None)
        if pivot is not None:
            basis.append((pivot, [x / reduced[pivot] for x in reduced]))
    return basis


def reduce(row: list[Fraction], basis: list[tuple[int, list[Fraction]]]) -> list[Fraction]:
    reduced = list(row)
    for pivot, base in basis:
        factor = reduced[pivot]
        if factor != 0:
            reduced = [x - factor * b for x, b in zip(reduced, base, strict=True)]
    return reduced


def indicator(members: frozenset[int], n: int) -> list[Fraction]:
    return [Fraction(1 if i in members else 0) for i in range(n)]


def in_span(vector: list[Fraction], basis: list[tuple[int, list[Fraction]]]) -> bool:
    return all(x == 0 for x in reduce(vector, basis))


@PROPERTIES
@given(response_sets)
def test_no_combination_of_published_groups_reveals_fewer_than_five(
    rows: list[tuple[str, str, str, str | None, int]],
) -> None:
    responses = responses_from(rows)
    n = len(responses)
    basis = echelon([indicator(g, n) for g in published_groups(responses)])
    for members in [*sensitive_sets(responses), *withheld_together(responses)]:
        assert not in_span(indicator(members, n), basis), (
            f"{len(members)} respondents {sorted(members)} can be computed from the published groups"
        )


def test_the_exact_check_sees_a_difference() -> None:
    """The checker itself: total (9) minus managers (6) isolates the 3 executives."""
    basis = echelon([indicator(frozenset(range(9)), 9), indicator(frozenset(range(3, 9)), 9)])
    assert in_span(indicator(frozenset(range(3)), 9), basis)
    assert not in_span(indicator(frozenset({0}), 9), basis)


def test_a_wave_large_enough_publishes_most_groups() -> None:
    """Suppression is not everything-withheld: 8 respondents in each of 6 cells."""
    rows = [
        (role, agency, "payroll", "usda-nfc", 4)
        for role, agency in product(ROLES[:2], AGENCIES[:3])
        for _ in range(8)
    ]
    responses = responses_from(rows)
    disclosure = wave_disclosure(responses)
    by_agency = wave_results(WAVE, responses, disclosure, group_by=Dimension.AGENCY)
    assert by_agency.total.respondents == 48
    assert [g.respondents for g in by_agency.groups] == [16, 16, 16]


def test_a_realistic_wave_keeps_its_total_and_large_groups() -> None:
    """300 responses spread over the 24 CFO Act agencies, 5 functions and the providers
    agencies use (as the simulator sends): many small cells, yet the total and every role and
    function group stay published, and few others are withheld: complementary suppression
    withholds a second group beside a small one, not the total (it did before: 25 of 47
    groups withheld, the total among them)."""
    catalog = load_catalog()
    agencies = [a.id for a in catalog.agencies]
    qsmo_of = {
        "financial-management": "financial-management",
        "human-resources": "human-resources",
        "payroll": "human-resources",
        "grants": "grants-management",
        "cybersecurity": "cybersecurity",
    }
    offered = {q: [p.id for p in catalog.providers if q in p.qsmos] for q in set(qsmo_of.values())}
    rng = random.Random(0)
    main = {(a, q): rng.choice(offered[q]) for a in agencies for q in sorted(offered)}
    respondents = []
    for _ in range(300):
        function, agency = rng.choice(sorted(qsmo_of)), rng.choice(agencies)
        role = rng.choices(["executive", "manager", "end-user"], weights=[1, 3, 6])[0]
        respondents.append((role, agency, function, main[(agency, qsmo_of[function])]))
    disclosure = disclose(respondents)
    assert disclosure.published(TOTAL)
    unscoped = [k for k in disclosure.sizes if k.scope is None]
    withheld = [k for k in unscoped if not disclosure.published(k)]
    assert len(withheld) <= len(unscoped) // 8  # here 4 of 47 (25 before)
    by_role_or_function = [
        k for k in unscoped if k.dimension in (Dimension.ROLE, Dimension.FUNCTION)
    ]
    assert all(disclosure.published(k) for k in by_role_or_function)
