"""Fixtures of the gateway unit tests: a runtime on in-memory fakes (no network)."""

import pytest
from gateway_unit_support import QSMOS, Harness, build_harness, make_view


@pytest.fixture
def harness() -> Harness:
    return build_harness()


@pytest.fixture
def seeded(harness: Harness) -> Harness:
    """Four QSMOs' FY2024 scorecards and a government-wide one."""
    catalog = harness.runtime.catalog
    for number, qsmo in enumerate(QSMOS):
        values = {"customer-satisfaction": 4.0 + number / 10, "customer-engagement": 30 + number}
        harness.scorecards.versions.append(make_view(catalog, 2024, qsmo, values))
    harness.scorecards.versions.append(
        make_view(catalog, 2024, None, {"customer-satisfaction": 4.1})
    )
    return harness
