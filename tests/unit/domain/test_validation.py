"""Observation validation: stable codes and messages a person can act on."""

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.catalog import load_catalog
from shared.domain.validation import ErrorCode, FieldError, validate_observation

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
VALID: dict[str, Any] = {
    "qsmo": "cybersecurity",
    "measure": "customer-satisfaction",
    "value": 4.2,
    "occurred_at": "2024-04-30T09:00:00-04:00",
}


def check(**changes: Any) -> list[FieldError]:
    arguments = {**VALID, "now": NOW, **changes}
    return validate_observation(load_catalog(), **arguments)


def codes(**changes: Any) -> list[tuple[str, ErrorCode]]:
    return [(e.field, e.code) for e in check(**changes)]


OUT_OF_RANGE = [("value", ErrorCode.VALUE_OUT_OF_RANGE)]
NO_OFFSET = [("occurred_at", ErrorCode.TIMESTAMP_WITHOUT_OFFSET)]
FUTURE = [("occurred_at", ErrorCode.TIMESTAMP_IN_FUTURE)]
TOO_EARLY = [("occurred_at", ErrorCode.TIMESTAMP_BEFORE_FY2022)]
JUST_OVER_5_MINUTES = NOW + timedelta(minutes=5, microseconds=1)


def test_a_valid_observation_has_no_errors() -> None:
    assert check() == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"qsmo": "cyber-security"}, [("qsmo", ErrorCode.UNKNOWN_QSMO)]),
        ({"measure": "customer-satisfation"}, [("measure", ErrorCode.UNKNOWN_MEASURE)]),
        ({"value": 7}, OUT_OF_RANGE),
        ({"value": 0.99}, OUT_OF_RANGE),
        ({"value": 1}, []),
        ({"value": 5}, []),
        ({"value": math.nan}, [("value", ErrorCode.VALUE_NOT_FINITE)]),
        ({"value": math.inf}, [("value", ErrorCode.VALUE_NOT_FINITE)]),
        ({"value": True}, [("value", ErrorCode.VALUE_NOT_A_NUMBER)]),
        ({"value": "4"}, [("value", ErrorCode.VALUE_NOT_A_NUMBER)]),
        ({"value": None}, [("value", ErrorCode.VALUE_NOT_A_NUMBER)]),
        ({"measure": "price-transparency", "value": 100.5}, OUT_OF_RANGE),
        ({"measure": "price-transparency", "value": 0}, []),
        ({"measure": "cost-avoidance", "value": -0.01}, OUT_OF_RANGE),
        ({"measure": "cost-avoidance", "value": 1e12}, []),
        # Measures of the proposed dimension accept events.
        ({"measure": "system-resiliency", "value": 99.95}, []),
        # An unknown measure: its range cannot be checked, but a non-number still is.
        ({"measure": "nope", "value": 1e9}, [("measure", ErrorCode.UNKNOWN_MEASURE)]),
        ({"occurred_at": "2024-04-30T09:00:00"}, NO_OFFSET),
        ({"occurred_at": datetime(2024, 4, 30)}, NO_OFFSET),
        ({"occurred_at": "last tuesday"}, [("occurred_at", ErrorCode.TIMESTAMP_INVALID)]),
        ({"occurred_at": NOW + timedelta(minutes=5)}, []),
        ({"occurred_at": JUST_OVER_5_MINUTES}, FUTURE),
        ({"occurred_at": "2024-05-01T08:04:59-04:00"}, []),
        ({"occurred_at": "2024-05-01T08:05:01-04:00"}, FUTURE),
        ({"occurred_at": "2021-10-01T00:00:00Z"}, []),
        ({"occurred_at": "2021-09-30T23:59:59.999Z"}, TOO_EARLY),
        ({"occurred_at": "2021-09-30T20:00:00-04:00"}, []),
    ],
)
def test_codes(changes: dict[str, Any], expected: list[tuple[str, ErrorCode]]) -> None:
    assert codes(**changes) == expected


def test_every_problem_is_reported_at_once_in_field_order() -> None:
    found = codes(qsmo="nope", measure="nope", value=True, occurred_at="2030-01-01T00:00:00Z")
    assert [field for field, _ in found] == ["qsmo", "measure", "value", "occurred_at"]


def test_unknown_measure_message_suggests_and_lists() -> None:
    (error,) = check(measure="customer-satisfation")
    assert error.message.startswith(
        "measure 'customer-satisfation' is not in framework qsmo-2022; "
        "did you mean 'customer-satisfaction'? Known measures: customer-engagement, "
    )


def test_unknown_qsmo_message_suggests_and_lists() -> None:
    (error,) = check(qsmo="grant-management")
    assert "did you mean 'grants-management'?" in error.message
    assert "Known QSMOs: cybersecurity, financial-management" in error.message


def test_out_of_range_messages_name_the_range_and_unit() -> None:
    (error,) = check(value=7)
    assert error.message == (
        "value 7 is outside 1..5 for customer-satisfaction (score 1\u20135); "
        "send a number from 1 to 5."
    )
    (error,) = check(measure="torb-timeliness", value=-2.5)
    assert error.message == (
        "value -2.5 is outside ≥ 0 for torb-timeliness (days); send a number ≥ 0."
    )


def test_timestamp_messages_say_what_to_do() -> None:
    (naive,) = check(occurred_at="2024-04-30T09:00:00")
    assert "has no UTC offset; add one, e.g. 2024-04-30T09:00:00Z" in naive.message
    (future,) = check(occurred_at="2024-06-01T00:00:00Z")
    assert "is in the future" in future.message
    assert "5 minutes" in future.message
    (early,) = check(occurred_at="2020-01-01T00:00:00Z")
    assert "before FY2022" in early.message


def test_known_qsmos_override_the_catalog_list() -> None:
    assert codes(qsmo="travel", known_qsmos=["travel"]) == []
    assert codes(known_qsmos=["travel"]) == [("qsmo", ErrorCode.UNKNOWN_QSMO)]


def test_another_framework_version() -> None:
    assert codes(measure="sla-attainment", value=97.0, framework_version="fy24-provider") == []
    assert codes(framework_version="fy24-provider", measure="cost-avoidance") == [
        ("measure", ErrorCode.UNKNOWN_MEASURE)
    ]


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        check(now=datetime(2024, 5, 1))


def test_errors_are_frozen_values() -> None:
    (error,) = check(value=True)
    with pytest.raises(AttributeError):
        error.code = ErrorCode.UNKNOWN_QSMO  # type: ignore[misc]
    assert error.code == "value_not_a_number"
