"""The local stack's command line: what `make up` adds to the services' environment, and the
`make groups` table."""

from __future__ import annotations

from pathlib import Path

import pytest
import qsmo_stack
from qsmo_local import cli

from services.notifications.settings import NotificationsSettings

SWITCH = "QSMO_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS"


class RecordingStack(qsmo_stack.Stack):
    """A stack whose ``up`` records what it would start instead of starting it."""

    started: dict[str, dict[str, str]]

    def up(
        self, services: list[str], env_by_service: dict[str, dict[str, str]] | None = None
    ) -> None:
        self.started = {
            name: self.service_env((env_by_service or {}).get(name)) for name in services
        }


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RecordingStack:
    monkeypatch.delenv(SWITCH, raising=False)
    monkeypatch.delenv("QSMO_ENVIRONMENT", raising=False)
    monkeypatch.setenv("SIMULATE", "0")
    return RecordingStack.at(tmp_path, dict(qsmo_stack.DEV_PORTS))  # type: ignore[return-value]


def test_up_lets_notifications_and_the_gateway_call_loopback_webhooks_and_says_so(
    stack: RecordingStack, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.up(stack, "all")

    for name in ("notifications", "gateway"):
        assert stack.started[name][SWITCH] == "true", name
    for name in ("ingest", "measures", "scorecard"):
        assert SWITCH not in stack.started[name], name
    assert "loopback and private receivers allowed" in capsys.readouterr().out


def test_the_switch_is_read_by_the_notifications_settings(
    stack: RecordingStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.up(stack, "notifications")
    monkeypatch.setenv(SWITCH, stack.started["notifications"][SWITCH])
    assert NotificationsSettings().allow_private_webhooks


def test_test_stacks_keep_the_guard(stack: RecordingStack) -> None:
    assert SWITCH not in stack.service_env()


def test_up_as_production_leaves_the_guard_on_and_says_nothing(
    stack: RecordingStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QSMO_ENVIRONMENT", "production")
    cli.up(stack, "all")
    assert all(SWITCH not in env for env in stack.started.values())
    assert "loopback" not in capsys.readouterr().out


def test_an_operators_own_setting_wins(
    stack: RecordingStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SWITCH, "false")
    cli.up(stack, "all")
    assert stack.started["notifications"][SWITCH] == "false"


def test_the_groups_table_has_a_line_per_group_and_a_row_per_partition() -> None:
    groups = [
        qsmo_stack.GroupLag(
            "measures",
            "Stable",
            1,
            (
                qsmo_stack.PartitionLag("qsmo.events.v1", 0, 120, 125, "measures-1/127.0.0.1"),
                qsmo_stack.PartitionLag("qsmo.events.v1", 1, None, 7, None),
            ),
        ),
        qsmo_stack.GroupLag("notifications", "Empty", 0, ()),
    ]

    lines = qsmo_stack.format_groups(groups).splitlines()

    assert lines[0] == "GROUP measures: Stable, 1 member, lag 5 (1 without a commit)"
    assert lines[1].split() == ["TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "MEMBER"]
    assert lines[2].split() == ["qsmo.events.v1", "0", "120", "125", "5", "measures-1/127.0.0.1"]
    assert lines[3].split() == ["qsmo.events.v1", "1", "-", "7", "-", "-"]
    assert lines[5] == "GROUP notifications: Empty, 0 members, lag 0"


def test_no_groups_says_why() -> None:
    assert "no consumer groups" in qsmo_stack.format_groups([])


def test_up_points_notifications_at_the_local_smtp_sink_and_says_where_mail_goes(
    stack: RecordingStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QSMO_NOTIFICATIONS_SMTP_HOST", raising=False)
    cli.up(stack, "all")
    env = stack.started["notifications"]
    assert env["QSMO_NOTIFICATIONS_SMTP_HOST"] == "127.0.0.1"
    assert env["QSMO_NOTIFICATIONS_SMTP_PORT"] == str(qsmo_stack.DEV_PORTS["smtp"])
    assert env["QSMO_NOTIFICATIONS_SMTP_PASSWORD"] == stack.mail_password()
    assert env["QSMO_NOTIFICATIONS_SMTP_CA_FILE"].endswith("mail-tls/cert.pem")
    monkeypatch.setenv("QSMO_NOTIFICATIONS_SMTP_PASSWORD", env["QSMO_NOTIFICATIONS_SMTP_PASSWORD"])
    assert NotificationsSettings(smtp_host="127.0.0.1").smtp_starttls  # STARTTLS stays on
    assert "QSMO_NOTIFICATIONS_SMTP_HOST" not in stack.started["gateway"]


def test_an_operators_own_smtp_server_and_production_keep_the_sink_out(
    stack: RecordingStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QSMO_NOTIFICATIONS_SMTP_HOST", "mail.example.gov")
    cli.up(stack, "all")
    assert stack.started["notifications"]["QSMO_NOTIFICATIONS_SMTP_HOST"] == "mail.example.gov"
    monkeypatch.delenv("QSMO_NOTIFICATIONS_SMTP_HOST")
    monkeypatch.setenv("QSMO_ENVIRONMENT", "production")
    cli.up(stack, "all")
    assert "QSMO_NOTIFICATIONS_SMTP_PORT" not in stack.started["notifications"]
