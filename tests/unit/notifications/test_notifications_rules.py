"""The condition state machine: raise once per episode, escalate, cooldown, flaps."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from notifications_builders import T0

from services.notifications.rules import (
    Breach,
    Clear,
    Condition,
    Draft,
    Raised,
    Resolved,
    Signal,
    Suppressed,
    notification_id,
    settle,
    step,
)

KEY = "status|FY2025|cybersecurity|measure|customer-satisfaction"
COOLDOWN = timedelta(minutes=10)


def breach(severity: str = "critical") -> Breach:
    draft = Draft.model_validate(
        {"rule": "status_degraded", "severity": severity, "qsmo": "cybersecurity", "message": "m"}
    )
    return Breach(key=KEY, draft=draft)


def clear(follow_up: bool = False) -> Clear:
    draft = Draft(rule="target_met", severity="info", qsmo="cybersecurity", message="met")
    return Clear(
        key=KEY, rule="status_degraded", message="back", follow_up=draft if follow_up else None
    )


def run(
    signals: list[tuple[int, Signal]], cooldown: timedelta = COOLDOWN
) -> tuple[Condition, list[object]]:
    condition: Condition | None = Condition(key=KEY, rule="status_degraded")
    effects: list[object] = []
    for minute, signal in signals:
        condition, produced = step(condition, signal, T0 + timedelta(minutes=minute), cooldown)
        effects += produced
    assert condition is not None
    return condition, effects


def kinds(effects: list[object]) -> list[str]:
    return [type(e).__name__ for e in effects]


@pytest.mark.parametrize(
    ("signals", "expected"),
    [
        pytest.param([(0, breach())], ["Raised"], id="first breach raises"),
        pytest.param([(0, breach()), (1, breach())], ["Raised"], id="same breach is deduplicated"),
        pytest.param(
            [(0, breach("warning")), (1, breach("critical"))],
            ["Raised", "Raised"],
            id="AMBER then RED escalates",
        ),
        pytest.param(
            [(0, breach("critical")), (1, breach("warning"))],
            ["Raised"],
            id="de-escalation is silent",
        ),
        pytest.param([(0, clear())], [], id="clear of a closed condition is nothing"),
        pytest.param([(0, breach()), (1, clear())], ["Raised"], id="clear waits for the cooldown"),
        pytest.param(
            [(0, breach()), (1, clear()), (5, breach())],
            ["Raised", "Suppressed"],
            id="flap within cooldown",
        ),
        pytest.param(
            [(0, breach()), (1, clear()), (11, clear())],
            ["Raised", "Resolved"],
            id="clear after cooldown resolves",
        ),
        pytest.param(
            [(0, breach()), (1, clear(True)), (20, clear(True))],
            ["Raised", "Resolved", "Raised"],
            id="resolution raises the follow-up",
        ),
        pytest.param(
            [(0, breach()), (1, clear()), (20, clear()), (21, breach())],
            ["Raised", "Resolved", "Raised"],
            id="a new episode after resolution",
        ),
    ],
)
def test_step_table(signals: list[tuple[int, Signal]], expected: list[str]) -> None:
    assert kinds(run(signals)[1]) == expected


def test_zero_cooldown_resolves_at_once_and_never_suppresses() -> None:
    _, effects = run([(0, breach()), (1, clear()), (2, breach())], cooldown=timedelta(0))
    assert kinds(effects) == ["Raised", "Resolved", "Raised"]


def test_ids_are_deterministic_per_episode_and_severity() -> None:
    condition, effects = run([(0, breach("warning")), (1, breach("critical"))])
    raised = [e.notification.id for e in effects if isinstance(e, Raised)]
    assert raised == [
        notification_id("status_degraded", KEY, 1, "warning"),
        notification_id("status_degraded", KEY, 1, "critical"),
    ]
    assert condition.notification_ids == tuple(raised)
    assert raised[0].startswith("ntf_")
    assert len(raised[0]) == 36


def test_flaps_are_counted_on_the_condition_and_the_resolution() -> None:
    condition, effects = run(
        [
            (0, breach()),
            (1, clear()),
            (2, breach()),
            (3, clear()),
            (4, breach()),
            (5, clear()),
            (30, clear()),
        ]
    )
    suppressed = [e for e in effects if isinstance(e, Suppressed)]
    assert [e.suppressed_flaps for e in suppressed] == [1, 2]
    resolved = [e for e in effects if isinstance(e, Resolved)]
    assert resolved[0].suppressed_flaps == 2
    assert condition.suppressed == 2
    assert not condition.open


def test_settle_resolves_a_clearing_condition_once_the_cooldown_passed() -> None:
    condition, _ = run([(0, breach()), (1, clear())])
    assert settle(condition, T0 + timedelta(minutes=10), COOLDOWN)[1] == []
    closed, effects = settle(condition, T0 + timedelta(minutes=11), COOLDOWN)
    assert kinds(effects) == ["Resolved"]
    assert not closed.open
    assert closed.resolved_at is not None


signal_lists = st.lists(
    st.tuples(st.integers(0, 30), st.sampled_from(["warning", "critical", "clear"])),
    min_size=1,
    max_size=30,
)


@given(signal_lists, st.integers(0, 15))
def test_property_raises_track_episodes(
    steps: list[tuple[int, str]], cooldown_minutes: int
) -> None:
    """Whatever the sequence: one raise per new episode plus at most one escalation in each;
    resolutions never outnumber episodes; repeating the last signal adds no raise."""
    minute, signals = 0, []
    for gap, kind in steps:
        minute += gap
        signals.append((minute, clear() if kind == "clear" else breach(kind)))
    condition, effects = run(signals, timedelta(minutes=cooldown_minutes))
    raised = [e for e in effects if isinstance(e, Raised)]
    resolved = [e for e in effects if isinstance(e, Resolved)]
    assert condition.episode <= len(raised) <= 2 * condition.episode
    assert len(resolved) <= condition.episode
    assert len({e.notification.id for e in raised}) == len(raised)
    if signals:
        _, again = step(
            condition,
            signals[-1][1],
            T0 + timedelta(minutes=minute),
            timedelta(minutes=cooldown_minutes),
        )
        assert not any(isinstance(e, Raised) for e in again) or isinstance(signals[-1][1], Clear)


@given(signal_lists)
def test_property_without_cooldown_nothing_is_suppressed(steps: list[tuple[int, str]]) -> None:
    signals = [
        (i, clear() if kind == "clear" else breach(kind)) for i, (_, kind) in enumerate(steps)
    ]
    condition, effects = run(signals, timedelta(0))
    assert not any(isinstance(e, Suppressed) for e in effects)
    assert condition.suppressed == 0
