"""The shipped catalog matches the specification (docs/scoring.md); broken catalogs are refused."""

import copy
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from shared.catalog import catalog_from_directory, load_catalog
from shared.domain.catalog import (
    Aggregation,
    Catalog,
    DimensionStatus,
    Direction,
    Framework,
    FrameworkStatus,
    Frequency,
    ValueRange,
)
from shared.domain.phases import QSMO_2022_PHASES

SCORE = "score 1\u20135"  # the specification writes the range with an en dash

# The specification's "Dimensions and measures": dimension, measure, phase, unit, aggregation,
# direction, default target.
FRAMEWORK_TABLE = [
    ("customer", "customer-engagement", 1, "engagements", "sum", "higher", 40),
    ("customer", "customer-satisfaction", 1, SCORE, "mean", "higher", 4.0),
    ("customer", "solution-adoption", 2, "adoptions", "sum", "higher", 10),
    ("customer", "employee-experience", 2, SCORE, "mean", "higher", 4.0),
    ("financial", "price-transparency", 1, "%", "mean", "higher", 90),
    ("financial", "return-on-investment", 3, "%", "latest", "higher", 15),
    ("financial", "cost-avoidance", 3, "USD", "sum", "higher", 50_000_000),
    ("standards-adoption", "m3-playbook-utilization", 1, "%", "mean", "higher", 85),
    ("standards-adoption", "standards-incorporation", 3, "%", "mean", "higher", 80),
    ("standards-adoption", "system-standardization", 3, "%", "mean", "higher", 75),
    ("marketplace-operations", "technical-innovation", 2, "innovations", "sum", "higher", 12),
    (
        "marketplace-operations",
        "service-quality-timeliness",
        3,
        "% within SLA",
        "mean",
        "higher",
        95,
    ),
    ("marketplace-operations", "torb-timeliness", 3, "days", "mean", "lower", 30),
    ("it-modernization", "system-resiliency", None, "% availability", "mean", "higher", 99.9),
    ("it-modernization", "software-delivery", None, "releases", "sum", "higher", 24),
    ("it-modernization", "data-interfaces", None, "unique interfaces", "latest", "lower", 5),
    ("it-modernization", "hcd-usability", None, SCORE, "mean", "higher", 4.0),
    (
        "it-modernization",
        "cybersecurity-posture",
        None,
        "% controls compliant",
        "mean",
        "higher",
        95,
    ),
    (
        "it-modernization",
        "it-contract-consolidation",
        None,
        "contracts consolidated",
        "sum",
        "higher",
        10,
    ),
]

QSMOS = [
    ("cybersecurity", "Cybersecurity Services QSMO", "CISA (DHS)"),
    (
        "financial-management",
        "Core Financial Management QSMO",
        "Treasury (Bureau of the Fiscal Service)",
    ),
    ("grants-management", "Grants Management QSMO", "HHS"),
    ("human-resources", "Human Resources Management QSMO", "OPM"),
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def qsmo_2022(catalog: Catalog) -> Framework:
    return catalog.framework("qsmo-2022")


@pytest.mark.parametrize(
    ("dimension", "measure_id", "phase", "unit", "aggregation", "direction", "target"),
    FRAMEWORK_TABLE,
)
def test_every_framework_row_is_in_the_catalog(
    qsmo_2022: Framework,
    dimension: str,
    measure_id: str,
    phase: int | None,
    unit: str,
    aggregation: str,
    direction: str,
    target: float,
) -> None:
    measure = qsmo_2022.measure(measure_id)
    assert (measure.dimension, measure.phase, measure.unit) == (dimension, phase, unit)
    assert measure.aggregation is Aggregation(aggregation)
    assert measure.direction is Direction(direction)
    assert measure.default_target == target
    assert measure.amber_ratio == 0.9
    assert measure.weight == 1.0
    assert measure.description
    assert measure.owner_role
    assert measure.data_source
    assert measure.frequency.days in (31, 92, 366)


def test_the_catalog_has_exactly_the_framework_measures(qsmo_2022: Framework) -> None:
    assert qsmo_2022.measure_ids == tuple(row[1] for row in FRAMEWORK_TABLE)


def test_value_ranges_follow_the_unit_rules(qsmo_2022: Framework) -> None:
    for measure in qsmo_2022.measures:
        if measure.unit.startswith("score"):
            assert measure.value_range == ValueRange(min=1, max=5)
        elif measure.unit.startswith("%"):
            assert measure.value_range == ValueRange(min=0, max=100)
        else:
            assert measure.value_range == ValueRange(min=0, max=None)


def test_dimensions_statuses_and_weights(qsmo_2022: Framework) -> None:
    statuses = {d.id: d.status for d in qsmo_2022.dimensions}
    assert statuses == {
        "customer": DimensionStatus.ACTIVE,
        "financial": DimensionStatus.ACTIVE,
        "standards-adoption": DimensionStatus.ACTIVE,
        "marketplace-operations": DimensionStatus.ACTIVE,
        "it-modernization": DimensionStatus.PROPOSED,
    }
    assert all(d.weight == 1.0 for d in qsmo_2022.dimensions)


def test_framework_versions_phases_and_status(catalog: Catalog) -> None:
    assert catalog.framework() is catalog.framework("qsmo-2022")
    assert catalog.framework().status is FrameworkStatus.ACTIVE
    assert catalog.framework().phases == QSMO_2022_PHASES
    assert [(p.number, p.name, p.fiscal_year) for p in catalog.framework().phases] == [
        (1, "crawl", 2022),
        (2, "walk", 2023),
        (3, "run", 2024),
    ]
    assert set(catalog.frameworks_by_version) == {"qsmo-2022", "fy24-provider"}


@pytest.mark.parametrize(("qsmo_id", "name", "lead"), QSMOS)
def test_qsmos(catalog: Catalog, qsmo_id: str, name: str, lead: str) -> None:
    qsmo = catalog.qsmo(qsmo_id)
    assert (qsmo.name, qsmo.lead_agency) == (name, lead)


def test_the_fy24_provider_framework_has_the_six_seed_dimensions(catalog: Catalog) -> None:
    provider = catalog.framework("fy24-provider")
    assert provider.status is FrameworkStatus.DRAFT
    assert [d.name for d in provider.dimensions] == [
        "Customer",
        "Financial",
        "Standards Adoption",
        "Provider Operations",
        "Technology",
        "Organizational",
    ]
    for dimension in provider.dimensions:
        assert len(provider.measures_of(dimension.id)) >= 2
    assert all(m.phase is not None for m in provider.measures)


def test_lookups(qsmo_2022: Framework, catalog: Catalog) -> None:
    assert qsmo_2022.dimension_of("torb-timeliness").name == "Marketplace Operations"
    assert qsmo_2022.dimension("financial").name == "Financial"
    assert [m.id for m in qsmo_2022.measures_of("financial")] == [
        "price-transparency",
        "return-on-investment",
        "cost-avoidance",
    ]
    assert qsmo_2022.phase(2).fiscal_year == 2023
    assert Frequency.QUARTERLY.days == 92
    with pytest.raises(KeyError, match="measure 'nope' is not in framework qsmo-2022"):
        qsmo_2022.measure("nope")
    with pytest.raises(KeyError, match="dimension 'nope'"):
        qsmo_2022.dimension("nope")
    with pytest.raises(KeyError, match="phase 9"):
        qsmo_2022.phase(9)
    with pytest.raises(KeyError, match="qsmo-1999"):
        catalog.framework("qsmo-1999")
    with pytest.raises(KeyError, match="known: cybersecurity"):
        catalog.qsmo("nope")


def test_load_catalog_is_cached() -> None:
    assert load_catalog() is load_catalog()


# --- rejection of broken catalogs ---------------------------------------------------------


def _measure(**changes: Any) -> dict[str, Any]:
    base = {
        "id": "m1",
        "name": "M1",
        "description": "A measure.",
        "dimension": "d1",
        "phase": 1,
        "unit": "things",
        "aggregation": "sum",
        "direction": "higher",
        "default_target": 10,
        "frequency": "monthly",
        "owner_role": "someone",
        "data_source": "somewhere",
    }
    return {**base, **changes}


def _catalog_document() -> dict[str, Any]:
    return {
        "default_version": "v1",
        "qsmos": [{"id": "q1", "name": "Q1", "lead_agency": "GSA"}],
        "frameworks": [
            {
                "version": "v1",
                "name": "V1",
                "description": "A framework.",
                "status": "active",
                "phases": [{"number": 1, "name": "crawl", "fiscal_year": 2022}],
                "dimensions": [
                    {"id": "d1", "name": "D1", "description": "A dimension."},
                    {"id": "p1", "name": "P1", "description": "Proposed.", "status": "proposed"},
                ],
                "measures": [_measure(), _measure(id="m2", dimension="p1", phase=None)],
            }
        ],
    }


def test_the_minimal_document_is_valid() -> None:
    assert Catalog.model_validate(_catalog_document()).framework().measure("m2").phase is None


def _framework_edit(key: str, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(_catalog_document())
    document["frameworks"][0][key] = value
    return document


BROKEN = [
    (_framework_edit("measures", [_measure(), _measure()]), "duplicate measure id 'm1'"),
    (
        _framework_edit("dimensions", [{"id": "d1", "name": "x", "description": "x"}] * 2),
        "duplicate dimension id 'd1'",
    ),
    (_framework_edit("measures", [_measure(dimension="dx")]), "unknown dimension 'dx'"),
    (
        _framework_edit("measures", [_measure(value_range={"min": 0, "max": 5})]),
        "default_target 10 is outside its value range 0..5",
    ),
    (_framework_edit("measures", [_measure(default_target=0)]), "greater than 0"),
    (
        _framework_edit("measures", [_measure(unit=SCORE, default_target=4)]),
        "requires value_range 1..5",
    ),
    (
        _framework_edit("measures", [_measure(unit="%", value_range={"min": 0, "max": 10})]),
        "requires value_range 0..100",
    ),
    (_framework_edit("measures", [_measure(phase=None)]), "needs a phase among [1]"),
    (_framework_edit("measures", [_measure(phase=2)]), "needs a phase among [1]"),
    (_framework_edit("measures", [_measure(dimension="p1")]), "must not have a phase"),
    (_framework_edit("measures", [_measure(colour="red")]), "Extra inputs are not permitted"),
    (_framework_edit("measures", [_measure(aggregation="median")]), "'sum', 'mean' or 'latest'"),
    (_framework_edit("measures", [_measure(id="Bad Id")]), "should match pattern"),
    (
        _framework_edit("measures", [_measure(value_range={"min": 5, "max": 1})]),
        "max 1 is below min 5",
    ),
    (
        _framework_edit("phases", [{"number": 1, "name": "a", "fiscal_year": 2022}] * 2),
        "duplicate phase id '1'",
    ),
    (
        _framework_edit("phases", [{"number": 2, "name": "a", "fiscal_year": 2022}]),
        "phases must be numbered 1..1",
    ),
]


@pytest.mark.parametrize(("document", "message"), BROKEN)
def test_broken_catalogs_are_refused_with_a_clear_message(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        Catalog.model_validate(document)
    assert message in str(raised.value)


def test_catalog_level_rules() -> None:
    document = _catalog_document()
    document["qsmos"] = document["qsmos"] * 2
    document["default_version"] = "v9"
    with pytest.raises(ValidationError) as raised:
        Catalog.model_validate(document)
    assert "duplicate qsmo id 'q1'" in str(raised.value)
    assert "default_version 'v9' is not among v1" in str(raised.value)


def test_catalog_from_directory_refuses_a_non_mapping(tmp_path: Path) -> None:
    (tmp_path / "qsmos.yaml").write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"qsmos\.yaml must hold a YAML mapping"):
        catalog_from_directory(tmp_path)


def test_each_measure_is_checked_against_the_framework_that_defines_it() -> None:
    catalog = load_catalog()
    assert catalog.framework_for_measure("customer-satisfaction").version == "qsmo-2022"
    assert (
        catalog.framework_for_measure("best-practices-self-assessment").version == "fy24-provider"
    )
    assert catalog.framework_for_measure("no-such-measure").version == "qsmo-2022"


def test_a_measure_id_two_versions_share_must_mean_the_same() -> None:
    catalog = load_catalog()
    provider = catalog.framework("fy24-provider")
    changed = provider.model_copy(
        update={
            "measures": tuple(
                m.model_copy(update={"aggregation": "sum"})
                if m.id == "customer-satisfaction"
                else m
                for m in provider.measures
            )
        }
    )
    with pytest.raises(ValueError, match="measure 'customer-satisfaction' is defined differently"):
        Catalog.model_validate(
            {**catalog.model_dump(), "frameworks": [catalog.framework(), changed]}
        )
