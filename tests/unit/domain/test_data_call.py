"""The data call's pure core: the shipped schemas, the one validation, the cost figures."""

import copy
import json
from importlib.resources import files
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from shared.catalog.data_call import example_sections, load_data_call_schema, shipped_versions
from shared.domain.data_call import (
    CURRENT_VERSION,
    SECTIONS,
    CostFigures,
    DataCallSchema,
    FieldKind,
    cost_figures,
)
from shared.domain.data_call_validation import (
    DataCallInvalid,
    DataCallProblem,
    require_valid,
    validate_sections,
)

FY = 2026
SCHEMA = load_data_call_schema()


def sections(**changes: Any) -> dict[str, Any]:
    """The example with sections replaced."""
    return {**example_sections(FY), **changes}


def test_the_current_version_is_shipped_with_six_sections_in_order() -> None:
    assert shipped_versions() == [CURRENT_VERSION] == ["1.0"]
    assert [s.name for s in SCHEMA.sections] == list(SECTIONS)
    assert [s.has_rows for s in SCHEMA.sections] == [False, True, True, True, True, True]
    assert [s.row_key for s in SCHEMA.sections] == [
        None,
        "metric",
        "function",
        "fiscal_year",
        "system_name",
        "contract_number",
    ]


@pytest.mark.parametrize("name", SECTIONS)
def test_each_file_is_a_2020_12_schema_with_titles_and_descriptions(name: str) -> None:
    path = files("shared.catalog").joinpath("tools", "data-call", "1.0", f"{name}.schema.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)
    section = SCHEMA.section(name)
    assert section.title
    assert section.description
    for field in section.fields:
        assert field.title != field.name, field.name
        assert field.description, field.name


def test_the_function_list_is_one_list_wherever_it_appears() -> None:
    functions = SCHEMA.section("staffing").field_named("function")
    systems = SCHEMA.section("systems").field_named("function")
    services = SCHEMA.section("demographics").field_named("services_offered")
    assert functions
    assert systems
    assert services
    assert functions.choices == systems.choices == services.choices
    assert services.kind is FieldKind.CHOICES
    assert "payroll" in functions.choices


def test_every_metric_has_a_definition_and_a_unit_rule() -> None:
    metric = SCHEMA.section("metrics").field_named("metric")
    assert metric is not None
    assert set(metric.choice_descriptions) == set(metric.choices)
    rules = SCHEMA.section("metrics").schema["items"]["allOf"]
    assert {r["if"]["properties"]["metric"]["const"] for r in rules} == set(metric.choices)


def test_field_kinds_come_from_the_schema_types() -> None:
    kinds = {f.name: f.kind for s in SCHEMA.sections for f in s.fields}
    assert kinds["customer_count"] is FieldKind.INTEGER
    assert kinds["federal_fte"] is FieldKind.NUMBER
    assert kinds["end_date"] is FieldKind.DATE
    assert kinds["fibf_aligned"] is FieldKind.YES_NO
    assert kinds["hosting"] is FieldKind.CHOICE
    assert kinds["vendor"] is FieldKind.TEXT


def test_a_schema_version_needs_every_section() -> None:
    with pytest.raises(ValueError, match="no schema for contracts"):
        DataCallSchema.from_documents(
            "9.9", {s.name: s.schema for s in SCHEMA.sections if s.name != "contracts"}
        )


def test_the_example_is_valid_and_stored_as_given() -> None:
    assert validate_sections(SCHEMA, FY, example_sections(FY)) == []
    assert require_valid(SCHEMA, FY, example_sections(FY)) == example_sections(FY)


def test_whole_number_floats_of_integer_fields_are_stored_as_ints() -> None:
    given = sections()
    given["demographics"] = {**given["demographics"], "customer_count": 20000.0}
    stored = require_valid(SCHEMA, FY, given)
    assert type(stored["demographics"]["customer_count"]) is int


def _with(section: str, row: int | None, field: str, value: Any) -> dict[str, Any]:
    given = copy.deepcopy(example_sections(FY))
    target = given[section] if row is None else given[section][row - 1]
    if value is DELETE:
        del target[field]
    else:
        target[field] = value
    return given


DELETE = object()
PROBLEMS = [  # (section, row, field, value, expected problem's field, words in the message)
    ("demographics", None, "customer_count", "abc", "customer_count", "whole number, not text"),
    ("demographics", None, "customer_count", 2.5, "customer_count", "whole number"),
    ("demographics", None, "customer_count", -1, "customer_count", "at least 0"),
    ("demographics", None, "provider_name", DELETE, "provider_name", "Provider name is required"),
    ("demographics", None, "provider_name", "", "provider_name", "must not be empty"),
    (
        "demographics",
        None,
        "services_offered",
        ["payrol"],
        "services_offered",
        "did you mean 'payroll'",
    ),
    ("demographics", None, "services_offered", [], "services_offered", "choose at least 1"),
    ("demographics", None, "services_offered", ["payroll", "payroll"], "services_offered", "twice"),
    ("demographics", None, "nickname", "x", "nickname", "unknown field"),
    ("staffing", 2, "federal_fte", "twenty", "federal_fte", "a number, not text 'twenty'"),
    ("staffing", 2, "function", "payroll ", "function", "is not a choice"),
    ("staffing", 2, "function", "financial-management", "function", "already given in row 1"),
    ("staffing", 1, "contractor_fte", True, "contractor_fte", "a number, not yes"),
    (
        "metrics",
        1,
        "unit",
        "days",
        "unit",
        "must be 'percent' (metric payroll-accuracy is measured",
    ),
    ("metrics", 1, "value", 101, "value", "at most 100 (a percentage is at most 100)"),
    ("systems", 1, "end_of_support", "2030-02-30", "end_of_support", "date written YYYY-MM-DD"),
    ("systems", 1, "fibf_aligned", "yes", "fibf_aligned", "yes or no"),
    ("contracts", 1, "annual_value_usd", float("nan"), "annual_value_usd", "finite number"),
    ("budget", 2, "fiscal_year", FY - 2, "fiscal_year", f"no row for FY{FY}"),
]


@pytest.mark.parametrize(("section", "row", "field", "value", "named", "words"), PROBLEMS)
def test_each_problem_names_section_row_and_field(
    section: str, row: int | None, field: str, value: Any, named: str, words: str
) -> None:
    problems = validate_sections(SCHEMA, FY, _with(section, row, field, value))
    assert len(problems) == 1, problems
    (problem,) = problems
    assert problem.section == section
    assert problem.field == named
    expected_row = None if field == "fiscal_year" else row
    assert problem.row == expected_row
    assert words in problem.message


def test_every_problem_is_reported_at_once_and_nothing_is_returned() -> None:
    given = _with("staffing", 2, "federal_fte", "twenty")
    given["contracts"][0]["end_date"] = "soon"
    given["nonsense"] = []
    with pytest.raises(DataCallInvalid) as raised:
        require_valid(SCHEMA, FY, given)
    assert [(p.section, p.row, p.field) for p in raised.value.problems] == [
        ("nonsense", None, None),
        ("staffing", 2, "federal_fte"),
        ("contracts", 1, "end_date"),
    ]
    assert "3 problem(s)" in str(raised.value)
    assert "staffing row 2, federal_fte" in str(raised.value)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ([], [DataCallProblem("sections", None, None, "")]),
        ({**example_sections(FY), "staffing": {}}, [("staffing", "list of rows")]),
        ({**example_sections(FY), "demographics": []}, [("demographics", "one set of fields")]),
        ({**example_sections(FY), "staffing": []}, [("staffing", "at least 1 row: one per")]),
        (
            {k: v for k, v in example_sections(FY).items() if k != "systems"},
            [("systems", "missing")],
        ),
        ({**example_sections(FY), "staff": []}, [("staff", "did you mean 'staffing'")]),
    ],
)
def test_section_level_problems(given: Any, expected: list[Any]) -> None:
    problems = validate_sections(SCHEMA, FY, given)
    if isinstance(expected[0], DataCallProblem):
        assert [p.section for p in problems] == ["sections"]
        assert "one entry per section" in problems[0].message
        return
    assert [(p.section, p.row, p.field) for p in problems] == [(expected[0][0], None, None)]
    assert expected[0][1] in problems[0].message


def test_a_row_list_may_hold_at_most_500_rows() -> None:
    rows = [
        {
            "contract_number": f"C{i}",
            "vendor": "V",
            "contract_type": "bpa",
            "annual_value_usd": 1,
            "end_date": "2027-01-01",
        }
        for i in range(501)
    ]
    problems = validate_sections(SCHEMA, FY, sections(contracts=rows))
    assert [(p.section, p.row, p.message) for p in problems] == [
        ("contracts", None, "has more than 500 rows; send at most 500")
    ]


def test_cost_figures_of_the_example() -> None:
    # 12,000,000 / 1,500,000 = 8.0; (40 + 10 + 25.5 + 4.5) / 20,000 * 1,000 = 4.0
    assert cost_figures(example_sections(FY), FY) == CostFigures(8.0, 4.0, 12_000_000.0)


def test_cost_figures_round_to_four_decimals_and_use_the_fiscal_years_budget_row() -> None:
    given = example_sections(FY)
    given["demographics"]["transactions_processed"] = 7
    given["demographics"]["customer_count"] = 3
    assert cost_figures(given, FY) == CostFigures(1_714_285.7143, 26_666.6667, 12_000_000.0)
    assert cost_figures(given, FY - 1).total_cost == 11_500_000.0


@pytest.mark.parametrize(
    ("transactions", "customers", "expected"),
    [
        (0, 20_000, CostFigures(None, 4.0, 12_000_000.0)),
        (10, 0, CostFigures(1_200_000.0, None, 12_000_000.0)),
    ],
)
def test_cost_figures_without_a_base_are_null_never_infinite(
    transactions: int, customers: int, expected: CostFigures
) -> None:
    given = example_sections(FY)
    given["demographics"]["transactions_processed"] = transactions
    given["demographics"]["customer_count"] = customers
    assert cost_figures(given, FY) == expected


def test_cost_figures_of_a_year_without_a_budget_row_have_no_cost() -> None:
    assert cost_figures(example_sections(FY), FY + 5) == CostFigures(None, 4.0, None)
