"""Abusive operations are refused before anything runs, with a code and a clear message."""

import pytest
from gateway_unit_support import Harness, error_codes
from graphql import get_introspection_query

DASHBOARD = """
query Dashboard {
  scorecards(fiscalYear: 2024) {
    id qsmo { id name } overallScore overallStatus
    dimensions { id name score status measures { id name value target attainment status
      dataQuality { eventCount restatedCount lastEventAt stale reportingFrequencyDays }
      latestCommentary { text author } openImprovementActions { title dueDate overdue } } }
  }
}
"""


async def test_a_full_dashboard_query_passes(seeded: Harness) -> None:
    data = await seeded.data(DASHBOARD)
    assert len(data["scorecards"]) == 4


async def test_graphiql_introspection_passes(harness: Harness) -> None:
    result = await harness.run(get_introspection_query(descriptions=True))
    assert result.errors is None


def _nested(depth: int) -> str:
    """``framework { dimensions { measures { dimension { measures { … } } } } }``."""
    fields = ["framework", "dimensions"]
    while len(fields) < depth - 1:
        fields += ["measures", "dimension"]
    fields = fields[: depth - 1]
    return "{ " + " { ".join(fields) + " { id }" + " }" * len(fields)


async def test_depth_at_the_limit_passes_and_one_more_is_refused(harness: Harness) -> None:
    assert (await harness.run(_nested(10))).errors is None
    result = await harness.run(_nested(11))
    assert error_codes(result) == ["QUERY_TOO_DEEP"]
    error = result.errors[0]  # type: ignore[index]
    assert "11" in error.message
    assert "10" in error.message
    assert error.extensions == {"code": "QUERY_TOO_DEEP", "limit": 10, "actual": 11}
    assert result.data is None


async def test_depth_through_fragments_counts(harness: Harness) -> None:
    query = (
        "query { framework { ...D } } fragment D on Framework { dimensions { ...M } } "
        "fragment M on Dimension { measures { dimension { measures { dimension { measures { "
        "dimension { measures { dimension { id } } } } } } } } }"
    )
    assert error_codes(await harness.run(query)) == ["QUERY_TOO_DEEP"]


async def test_too_many_aliases_are_refused(harness: Harness) -> None:
    aliases = " ".join(f"a{i}: qsmos {{ id }}" for i in range(31))
    result = await harness.run(f"{{ {aliases} }}")
    assert error_codes(result) == ["TOO_MANY_ALIASES"]
    assert "31" in result.errors[0].message  # type: ignore[index]


async def test_thirty_aliased_dashboards_are_refused_by_complexity(seeded: Harness) -> None:
    selection = DASHBOARD.split("scorecards(fiscalYear: 2024)", 1)[1].rsplit("}", 1)[0]
    many = " ".join(f"d{i}: scorecards(fiscalYear: 2024) {selection}" for i in range(30))
    result = await seeded.run(f"{{ {many} }}")
    assert error_codes(result) == ["QUERY_TOO_COMPLEX"]


async def test_a_fragment_bomb_is_refused_by_complexity(harness: Harness) -> None:
    """Each fragment spreads the previous one twice: 2^12 fields from a short document."""
    fragments = ["fragment F0 on Qsmo { id name leadAgency }"]
    for n in range(1, 13):
        fragments.append(f"fragment F{n} on Qsmo {{ ...F{n - 1} ...F{n - 1} }}")
    query = "{ qsmos { ...F12 } } " + " ".join(fragments)
    result = await harness.run(query)
    assert error_codes(result) == ["QUERY_TOO_COMPLEX"]


async def test_pages_count_at_their_size(harness: Harness) -> None:
    wide = "id text author createdAt fiscalYear measureId qsmoId qsmo { id name leadAgency }"
    ok = f'{{ commentary(qsmo: "cybersecurity", first: 100) {{ nodes {{ {wide} }} }} }}'
    assert (await harness.run(ok)).errors is None
    many = " ".join(
        f'c{i}: commentary(qsmo: "cybersecurity", first: 100) {{ nodes {{ {wide} }} }}'
        for i in range(20)
    )
    assert error_codes(await harness.run(f"{{ {many} }}")) == ["QUERY_TOO_COMPLEX"]


async def test_too_many_tokens_are_refused_while_parsing(harness: Harness) -> None:
    query = "{ " + " ".join("__typename" for _ in range(3100)) + " }"
    result = await harness.run(query)
    assert error_codes(result) == ["QUERY_TOO_LARGE"]
    comments = "{ __typename }\n" + "#\n" * 4000
    assert error_codes(await harness.run(comments)) == ["QUERY_TOO_LARGE"]


@pytest.mark.parametrize("first", [0, 101, -1])
async def test_page_sizes_outside_1_to_100_are_refused(harness: Harness, first: int) -> None:
    literal = await harness.run(f"{{ auditLog(first: {first}) {{ nodes {{ id }} }} }}")
    assert error_codes(literal) == ["BAD_USER_INPUT"]
    variable = await harness.run(
        "query($n: Int) { auditLog(first: $n) { nodes { id } } }", {"n": first}
    )
    assert error_codes(variable) == ["BAD_USER_INPUT"]


async def test_limits_are_queryable(harness: Harness) -> None:
    data = await harness.data(
        "{ limits { maxDepth maxAliases maxTokens maxComplexity maxPageSize } }"
    )
    assert data["limits"] == {
        "maxDepth": 10,
        "maxAliases": 30,
        "maxTokens": 3000,
        "maxComplexity": 20000,
        "maxPageSize": 100,
    }


async def test_limits_are_checked_before_authentication(harness: Harness) -> None:
    result = await harness.run(_nested(12), who=None)
    assert "QUERY_TOO_DEEP" in error_codes(result)
    assert "UNAUTHENTICATED" not in error_codes(result)
