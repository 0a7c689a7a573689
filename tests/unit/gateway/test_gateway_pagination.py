"""Every connection pages the same way: each item exactly once, newest first, and a cursor of
one list (or an altered one) refused by another with BAD_USER_INPUT on ``after``."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from gateway_unit_support import NOW, Harness, error_codes

from gateway.analysis import Commentary, ImprovementAction
from services.notifications.models import Notification

# Five items, three of them at one moment: the id breaks the tie.
MINUTES = [0, 1, 1, 1, 3]


async def _seed_notifications(harness: Harness) -> list[str]:
    for n, minute in enumerate(MINUTES):
        harness.notifications.notifications.append(
            Notification(
                id=f"ntf_{n}",
                rule="stale_measure",
                severity="warning",
                state="raised",
                qsmo="cybersecurity",
                message=f"message {n}",
                raised_at=NOW + timedelta(minutes=minute),
            )
        )
    return ["ntf_4", "ntf_3", "ntf_2", "ntf_1", "ntf_0"]


async def _seed_commentary(harness: Harness) -> list[str]:
    for n, minute in enumerate(MINUTES):
        await harness.analysis.add_commentary(
            Commentary(
                id=f"cmt_{n}",
                qsmo="cybersecurity",
                measure="customer-engagement",
                fiscal_year=2024,
                text=f"note {n}",
                author="t-admin",
                created_at=NOW + timedelta(minutes=minute),
            )
        )
    return ["cmt_4", "cmt_3", "cmt_2", "cmt_1", "cmt_0"]


async def _seed_actions(harness: Harness) -> list[str]:
    for n, minute in enumerate(MINUTES):
        at = NOW + timedelta(minutes=minute)
        await harness.analysis.add_action(
            ImprovementAction(
                id=f"act_{n}",
                qsmo="cybersecurity",
                measure="customer-engagement",
                title=f"action {n}",
                owner="someone",
                due_date=date(2024, 9, 30),
                created_at=at,
                created_by="t-admin",
                updated_at=at,
            )
        )
    return ["act_4", "act_3", "act_2", "act_1", "act_0"]


async def _seed_audit_log(harness: Harness) -> list[str]:
    ids = []
    for n in range(len(MINUTES)):
        data = await harness.data(
            f'mutation {{ setWeight(dimension: "customer", weight: {n + 1}, reason: "w{n}") '
            "{ change { id } } }",
            who="admin",
        )
        ids.append(data["setWeight"]["change"]["id"])
    return ids[::-1]


CONNECTIONS: dict[str, tuple[str, Callable[[Harness], Any]]] = {
    "notifications": ('notifications(qsmo: "cybersecurity"', _seed_notifications),
    "commentary": ('commentary(qsmo: "cybersecurity"', _seed_commentary),
    "improvementActions": ('improvementActions(qsmo: "cybersecurity"', _seed_actions),
    "auditLog": ("auditLog(", _seed_audit_log),
}


def _query(name: str) -> str:
    call = CONNECTIONS[name][0]
    separator = "" if call.endswith("(") else ", "
    return (
        f"query($after: String, $first: Int) {{ {call}{separator}first: $first, after: $after) "
        "{ edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"
    )


async def _all_pages(harness: Harness, name: str, first: int) -> list[str]:
    seen: list[str] = []
    after = None
    for _ in range(20):
        page = (await harness.data(_query(name), {"after": after, "first": first}))[name]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if page["edges"]:
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]
    raise AssertionError(f"{name}: more pages than items")


@pytest.mark.parametrize("first", [1, 2, 5, 100])
@pytest.mark.parametrize("name", sorted(CONNECTIONS))
async def test_pages_cover_every_item_once_newest_first(
    harness: Harness, name: str, first: int
) -> None:
    expected = await CONNECTIONS[name][1](harness)
    assert await _all_pages(harness, name, first) == expected


async def _first_cursor(harness: Harness, name: str) -> str:
    await CONNECTIONS[name][1](harness)
    page = (await harness.data(_query(name), {"first": 1}))[name]
    return str(page["pageInfo"]["endCursor"])


@pytest.mark.parametrize(
    ("source", "target"),
    [("auditLog", "notifications"), ("notifications", "commentary"), ("commentary", "auditLog")],
)
async def test_a_cursor_of_another_connection_is_refused(
    harness: Harness, source: str, target: str
) -> None:
    cursor = await _first_cursor(harness, source)
    result = await harness.run(_query(target), {"after": cursor})
    assert error_codes(result) == ["BAD_USER_INPUT"]
    error = result.errors[0]  # type: ignore[index]
    assert error.extensions["field"] == "after"  # type: ignore[index]
    assert f"belongs to the {source} list, not to {target}" in error.message
    assert f"pass the endCursor of a previous {target} page" in error.message


@pytest.mark.parametrize("name", sorted(CONNECTIONS))
async def test_an_altered_or_made_up_cursor_is_refused(harness: Harness, name: str) -> None:
    cursor = await _first_cursor(harness, name)
    for bad in (cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB"), "junk", "audit:x"):
        result = await harness.run(_query(name), {"after": bad})
        assert error_codes(result) == ["BAD_USER_INPUT"], bad
        assert "not a cursor this API handed out" in result.errors[0].message  # type: ignore[index]
