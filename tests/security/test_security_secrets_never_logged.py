"""Secrets never reach a log: API keys (valid, unknown, truncated), webhook secrets, the SMTP
password and stakeholders' email addresses.

The security lane's ingest and gateway and a notifications process of this module all run as
subprocesses at log level DEBUG. The module sends them requests with every kind of key and
secret — accepted, refused, malformed, over websockets, in documents that fail to parse,
in arguments that crash a resolver — makes the notifications service sign real webhook calls
(one answered 500 first, one to a closed port) and email a review packet through a real SMTP
server with a login, then searches every captured log file of
the session for every plaintext key, every key prefix and every secret: zero hits.
"""

import contextlib
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import qsmo_stack
from ingest_kafka_support import event
from notifications_lane import NotificationsLane, eventually, publish
from notifications_messages import red_measure
from notifications_receiver import Call, Receiver, dead_url
from qsmo_local.mail_sink import start_sink
from review_mail_support import review_ready
from security_abuse_support import PUBLIC_HOOK, SecurityLane, SecurityTally
from websockets.asyncio.client import connect

from services.notifications.write_port import SubscriptionStore, stakeholder_lists
from shared.api_keys import Principal, Role
from shared.domain.fiscal import fiscal_year_of
from shared.mongo import create_mongo_client

SECURITY_AREA = "secrets never logged"
KEY_PREFIXES = ("qsmo_pub_", "qsmo_admin_", "qsmo_viewer_", "qsmo_prov_")
ADMIN = Principal(key_id="sec-log-admin", role=Role.ADMIN)


def _secret(label: str) -> str:
    return f"sec-log-{label}-{secrets.token_urlsafe(18)}"


@dataclass
class Exercised:
    """What was sent (every string that must never be logged) and what came back."""

    secrets: dict[str, str] = field(default_factory=dict)
    webhook_calls: list[Call] = field(default_factory=list)
    log_files: list[Path] = field(default_factory=list)


async def _ingest_traffic(
    lane: SecurityLane, http: httpx.AsyncClient, sent: dict[str, str]
) -> None:
    unknown = f"qsmo_pub_{secrets.token_urlsafe(24)}"
    truncated = lane.keys.publishers["cybersecurity"][:-3]
    sent["unknown ingest key"] = unknown
    sent["truncated publisher key"] = truncated
    body = json.dumps(event(event_id=f"sec-log-{uuid.uuid4().hex}")).encode()
    for who in (
        "cybersecurity",
        "admin",
        "viewer",
        "financial-management",
        f"raw:{unknown}",
        f"raw:{truncated}",
    ):
        await lane.post_ingest(http, "/v1/events", body, who=who)
    for header in (f"Basic {lane.keys.admin}", lane.keys.admin, f"Bearer {unknown} trailing"):
        await lane.post_ingest(
            http, "/v1/events", body, who=None, headers={"Authorization": header}
        )
    await lane.post_ingest(http, "/v1/events", b"{not json", who="admin")
    await lane.post_ingest(
        http, "/v1/events:csv", b"bad,header\n1,2", who="admin", content_type="text/csv"
    )


async def _gateway_traffic(
    lane: SecurityLane, http: httpx.AsyncClient, sent: dict[str, str]
) -> None:
    unknown = f"qsmo_admin_{secrets.token_urlsafe(24)}"
    sent["unknown gateway key"] = unknown
    subscribe = (
        "mutation($url: String!, $secret: String!) { createNotificationSubscription("
        'qsmo: "cybersecurity", url: $url, secret: $secret) { id } }'
    )
    cases = {
        "stored webhook secret": (PUBLIC_HOOK, "admin"),
        "secret with a refused URL": ("http://169.254.169.254/latest/meta-data/", "admin"),
        "secret from a viewer": (PUBLIC_HOOK, "viewer"),
        "secret from an unknown key": (PUBLIC_HOOK, f"raw:{unknown}"),
    }
    for name, (url, who) in cases.items():
        sent[name] = _secret(name.split()[0])
        await lane.graphql(http, subscribe, {"url": url, "secret": sent[name]}, who=who)
    sent["too short secret"] = "sec-log-short-1"
    await lane.graphql(
        http, subscribe, {"url": PUBLIC_HOOK, "secret": sent["too short secret"]}, who="admin"
    )
    sent["secret in a broken document"] = _secret("parse")
    broken = (
        f'mutation {{ createNotificationSubscription(url: "{PUBLIC_HOOK}", '
        f'secret: "{sent["secret in a broken document"]}" {{ id }}'
    )
    await lane.graphql(http, broken, who="admin")
    sent["secret in an invalid document"] = _secret("invalid")
    invalid = (
        f'mutation {{ createNotificationSubscription(url: "{PUBLIC_HOOK}", '
        f'secret: "{sent["secret in an invalid document"]}", colour: RED) {{ id }} }}'
    )
    await lane.graphql(http, invalid, who="admin")
    # A lone surrogate makes the store fail unexpectedly (logged with its trace): the trace
    # must not carry the secret either.
    sent["secret that crashes the store"] = _secret("crash")
    raw = json.dumps(
        {
            "query": subscribe,
            "variables": {
                "url": PUBLIC_HOOK,
                "secret": sent["secret that crashes the store"] + "@@",
            },
        }
    )
    await http.post(
        lane.gateway_url,
        content=raw.replace("@@", "\\ud800").encode(),
        headers={"Content-Type": "application/json", **lane.bearer("admin")},
    )
    for who in ("viewer", "cybersecurity", "admin", f"raw:{unknown}", None):
        await lane.graphql(http, "{ viewer { keyId role } }", who=who)
    await http.get(lane.gateway_url, params={"query": "{ viewer { keyId } }", "key": unknown})
    await _websockets(lane, unknown)


async def _websockets(lane: SecurityLane, unknown: str) -> None:
    url = lane.gateway_url.replace("http://", "ws://")
    for key in (lane.keys.viewer, unknown):
        async with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:  # type: ignore[list-item]
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}
            await ws.send(json.dumps(init))
            try:
                await ws.recv()
            except Exception:  # closed (4403) for the unknown key
                continue


async def _notifications_traffic(
    stack: qsmo_stack.Stack, kafka_bootstrap: str, sent: dict[str, str]
) -> list[Call]:
    """Run the notifications service on a private lane and make it sign webhook calls."""
    lane = NotificationsLane.new()
    await lane.create_topics(kafka_bootstrap)
    database = f"sec_log_{lane.group.rsplit('-', 1)[-1]}"
    receiver = Receiver(statuses=[500])  # the first attempt fails, the retry succeeds
    url = await receiver.start()
    client = create_mongo_client(stack.mongo_url)
    store = SubscriptionStore(client[database], allow_private=True)
    sent["delivered webhook secret"] = _secret("delivered")
    sent["undeliverable webhook secret"] = _secret("undeliverable")
    await store.create(
        ADMIN, "cybersecurity", None, None, "info", url, sent["delivered webhook secret"]
    )
    await store.create(
        ADMIN, "cybersecurity", None, None, "info", dead_url(), sent["undeliverable webhook secret"]
    )
    # A review's email through a real SMTP server: neither the SMTP password nor the
    # stakeholder's address (personal data) may reach a log.
    sent["smtp password"] = _secret("smtp")
    sent["stakeholder address"] = f"sec-log-{secrets.token_hex(8)}@omb.example.gov"
    await stakeholder_lists(client[database]).create(
        ADMIN,
        name="OMB",
        kind="OMB",
        qsmo=None,
        members=[("Jane", sent["stakeholder address"])],
        attach_pdf=False,
    )
    instance = f"-sec-{lane.group}"
    try:
        async with contextlib.AsyncExitStack() as running:
            server, mailbox, port = await start_sink(
                stack.home / "data" / f"mail{instance}",
                stack.home / "data" / f"mail-tls{instance}",
                "sec-log",
                sent["smtp password"],
            )
            running.push_async_callback(server.wait_closed)
            running.callback(server.close)
            env = lane.env(
                database,
                qsmo_stack.free_port(),
                QSMO_LOG_LEVEL="DEBUG",
                QSMO_NOTIFICATIONS_SMTP_HOST="127.0.0.1",
                QSMO_NOTIFICATIONS_SMTP_PORT=str(port),
                QSMO_NOTIFICATIONS_SMTP_USERNAME="sec-log",
                QSMO_NOTIFICATIONS_SMTP_PASSWORD=sent["smtp password"],
                QSMO_NOTIFICATIONS_SMTP_CA_FILE=str(
                    stack.home / "data" / f"mail-tls{instance}" / "cert.pem"
                ),
            )
            stack.start_service("notifications", extra_env=env, instance=instance)
            # The open fiscal year: status notices are raised for open years (rules rev. 2).
            message = red_measure(fiscal_year=fiscal_year_of(datetime.now(UTC)))
            await publish(
                kafka_bootstrap, lane.scorecards, [(message.scorecard_id.encode(), message)]
            )
            ready = review_ready()
            await publish(kafka_bootstrap, lane.reviews, [(b"cybersecurity", ready)])
            calls = await receiver.wait_for(2, 60)

            async def emailed() -> bool:
                return bool(mailbox.received)

            await eventually(emailed, 60, "the review email at the SMTP server")
            assert [r.recipients for r in mailbox.received] == [(sent["stakeholder address"],)]
    finally:
        stack.stop(f"notifications{instance}")
        await receiver.stop()
        await client.drop_database(database)
        await client.close()
    return calls


@pytest.fixture(scope="module")
async def exercised(security_lane: SecurityLane, kafka_bootstrap: str) -> Exercised:
    done = Exercised()
    keys = security_lane.keys
    done.secrets.update({"admin key": keys.admin, "viewer key": keys.viewer})
    done.secrets.update({f"publisher key of {q}": k for q, k in keys.publishers.items()})
    async with httpx.AsyncClient(timeout=60) as http:
        await _ingest_traffic(security_lane, http, done.secrets)
        await _gateway_traffic(security_lane, http, done.secrets)
    done.webhook_calls = await _notifications_traffic(
        security_lane.stack, kafka_bootstrap, done.secrets
    )
    done.log_files = sorted(p for p in security_lane.stack.logs.rglob("*") if p.is_file())
    return done


async def test_security_the_secrets_were_really_used(
    exercised: Exercised, security_lane: SecurityLane, security_tally: SecurityTally
) -> None:
    """Not vacuous: the webhook calls are signed with the secret, the logs name the key ids."""
    secret = exercised.secrets["delivered webhook secret"]
    delivered = [c for c in exercised.webhook_calls if c.signed_with(secret)]
    names = {p.name for p in exercised.log_files}
    suffix = security_lane.label_suffix
    problems = {
        "webhook calls signed with the secret": None if len(delivered) >= 2 else "unsigned calls",
        "the lane's logs were captured": None
        if {f"ingest{suffix}.log", f"gateway{suffix}.log"} <= names
        else f"missing logs among {sorted(names)}",
        "ingest logs the key id": None
        if "dev-publisher-cybersecurity"
        in (security_lane.stack.logs / f"ingest{suffix}.log").read_text(errors="replace")
        else "no request line names the key id",
    }
    failures = [f for n, p in problems.items() if (f := security_tally.record(SECURITY_AREA, n, p))]
    assert not failures, failures


def _hits(needle: str, files: list[Path]) -> list[str]:
    found = []
    raw = needle.encode()
    escaped = json.dumps(needle)[1:-1].encode()  # as a JSON log line would write it
    for path in files:
        data = path.read_bytes()
        if raw in data or escaped in data:
            found.append(path.name)
    return found


async def test_security_no_key_or_secret_is_in_any_log(
    exercised: Exercised, security_tally: SecurityTally
) -> None:
    needles = {**exercised.secrets, **{f"prefix {p}": p for p in KEY_PREFIXES}}
    failures = []
    for name, needle in needles.items():
        hits = _hits(needle, exercised.log_files)
        problem = f"found in {hits}" if hits else None
        if failure := security_tally.record(SECURITY_AREA, f"{name} in logs", problem):
            failures.append(failure)
    assert not failures, "\n".join(failures)
