"""Webhook URLs: header injection and the SSRF guard, through GraphQL and the store itself.

Every hostile URL is refused by ``createNotificationSubscription`` on the real gateway (which
runs with private targets *not* allowed, as in production) with ``BAD_USER_INPUT`` naming
``url`` and nothing stored, and by ``SubscriptionStore.create`` with ``SubscriptionRejected``
on ``url``. Syntax rules (CR/LF, schemes, credentials …) hold even when private targets are
allowed. Every address here is a *refused input*: no case makes a connection or a DNS query
(numeric hosts resolve locally; names are refused by name before any lookup).
"""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from security_abuse_support import (
    PUBLIC_HOOK,
    SecurityLane,
    SecurityTally,
    error_codes,
    graphql_answer_problem,
)

from services.notifications.read_model import SubscriptionRejected
from services.notifications.write_port import SubscriptionStore
from shared.api_keys import Principal, Role
from shared.mongo import create_mongo_client

SECURITY_AREA = "ssrf guard and webhook URLs"
SECRET = "sec-ssrf-secret-0123456789"
HOST = "93.184.215.14"  # a public literal: the only difference between cases is the hostile part
ADMIN = Principal(key_id="sec-ssrf-admin", role=Role.ADMIN)

SYNTAX = {  # refused whatever the address policy
    "CR/LF header injection": f"http://{HOST}/hook\r\nX-Injected: 1",
    "LF header injection": f"http://{HOST}/hook\nX-Injected: 1",
    "CR alone": f"http://{HOST}/hook\rX-Injected: 1",
    "CR/LF in the host": f"http://{HOST}\r\nHost: 127.0.0.1/",
    "space in the path": f"http://{HOST}/ho ok",
    "tab": f"http://{HOST}/\thook",
    "NUL": f"http://{HOST}/\x00hook",
    "DEL": f"http://{HOST}/\x7fhook",
    "backslash host confusion": f"http://{HOST}\\@127.0.0.1/",
    "javascript: scheme": "javascript:alert(document.domain)",
    "JavaScript: scheme, mixed case": "JavaScript:alert(1)",
    "file: scheme": "file:///etc/passwd",
    "gopher: scheme": "gopher://127.0.0.1:6379/_FLUSHALL",
    "dict: scheme": "dict://127.0.0.1:11211/stats",
    "ftp: scheme": f"ftp://{HOST}/hook",
    "data: scheme": "data:text/plain,hello",
    "ldap: scheme": f"ldap://{HOST}/",
    "scheme-relative": f"//{HOST}/hook",
    "no scheme": f"{HOST}/hook",
    "no host": "http:///hook",
    "credentials": f"http://user:password@{HOST}/hook",
    "user only": f"http://user@{HOST}/hook",
    "empty credentials": f"http://:@{HOST}/hook",
    "@ host confusion": f"http://{HOST}@127.0.0.1/hook",
    "fragment": f"http://{HOST}/hook#fragment",
    "port 0": f"http://{HOST}:0/hook",
    "port 65536": f"http://{HOST}:65536/hook",
    "2049 characters": f"http://{HOST}/" + "p" * 2040,
}
ADDRESSES = {  # refused when private targets are not allowed
    "loopback 127.0.0.1": "http://127.0.0.1/hook",
    "loopback 127.255.255.254:8080": "http://127.255.255.254:8080/hook",
    "loopback ::1": "http://[::1]/hook",
    "localhost": "http://localhost/hook",
    "LOCALHOST. (case, trailing dot)": "http://LOCALHOST./hook",
    "*.localhost": "http://api.localhost/hook",
    "unspecified 0.0.0.0": "http://0.0.0.0/hook",
    "unspecified ::": "http://[::]/hook",
    "private 10/8": "http://10.0.0.1/hook",
    "private 172.16/12 (low)": "http://172.16.0.1/hook",
    "private 172.16/12 (high)": "http://172.31.255.254/hook",
    "private 192.168/16": "http://192.168.1.1/hook",
    "unique local fc00::/7": "http://[fd12:3456:789a::1]/hook",
    "link-local metadata 169.254.169.254": "http://169.254.169.254/latest/meta-data/",
    "link-local fe80::1": "http://[fe80::1]/hook",
    "link-local with a zone": "http://[fe80::1%25eth0]/hook",
    "CGNAT 100.64/10": "http://100.64.0.1/hook",
    "multicast 224.0.0.1": "http://224.0.0.1/hook",
    "broadcast": "http://255.255.255.255/hook",
    "reserved 240/4": "http://240.0.0.1/hook",
    "benchmarking 198.18/15": "http://198.18.0.1/hook",
    "documentation 192.0.2/24": "http://192.0.2.1/hook",
    "*.internal (cloud metadata name)": "http://metadata.google.internal/computeMetadata/v1/",
    "*.local": "http://printer.local/hook",
    "*.localdomain": "http://db.localdomain/hook",
    "decimal 2130706433": "http://2130706433/hook",
    "hex 0x7f000001": "http://0x7f000001/hook",
    "hex parts 0x7f.1": "http://0x7f.1/hook",
    "hex parts 0x7f.0.0.1": "http://0x7f.0.0.1/hook",
    "octal 0177.0.0.1": "http://0177.0.0.1/hook",
    "octal 0177.1": "http://0177.1/hook",
    "octal whole 017700000001": "http://017700000001/hook",
    "short 127.1": "http://127.1/hook",
    "zero-padded 127.000.000.001": "http://127.000.000.001/hook",
    "short 0": "http://0/hook",
    "hex metadata 0xa9.0xfe.0xa9.0xfe": "http://0xa9.0xfe.0xa9.0xfe/hook",
    "decimal 192.168.1.1 (3232235777)": "http://3232235777/hook",
    "ideographic full stops 127。0。0。1": "http://127\u30020\u30020\u30021/hook",
    "enclosed digits ①②⑦.0.0.1": "http://\u2460\u2461\u2466.0.0.1/hook",
    "IPv4-mapped ::ffff:127.0.0.1": "http://[::ffff:127.0.0.1]/hook",
    "IPv4-mapped ::ffff:7f00:1": "http://[::ffff:7f00:1]/hook",
    "IPv4-mapped metadata": "http://[::ffff:169.254.169.254]/hook",
    "IPv4-mapped, long form": "http://[0:0:0:0:0:ffff:10.0.0.1]/hook",
    # Other IPv6 forms that embed an IPv4 address or are not public unicast:
    "IPv4-compatible ::127.0.0.1 (deprecated, reserved ::/8)": "http://[::127.0.0.1]/hook",
    "IPv4-compatible ::10.0.0.1": "http://[::10.0.0.1]/hook",
    "IPv4-translated ::ffff:0:127.0.0.1 (SIIT)": "http://[::ffff:0:127.0.0.1]/hook",
    "NAT64 64:ff9b::127.0.0.1": "http://[64:ff9b::7f00:1]/hook",
    "NAT64 64:ff9b::169.254.169.254": "http://[64:ff9b::a9fe:a9fe]/hook",
    "NAT64 64:ff9b::10.0.0.1": "http://[64:ff9b::a00:1]/hook",
    "site-local fec0::1 (deprecated private)": "http://[fec0::1]/hook",
}
ALL = {**SYNTAX, **ADDRESSES}


@pytest.fixture(scope="module")
async def store_db(mongo_url: str) -> AsyncIterator[Any]:
    """A private database for the store's own checks (dropped at the end of the module)."""
    client = create_mongo_client(mongo_url)
    name = f"sec_ssrf_{uuid.uuid4().hex[:8]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


async def _create(store: SubscriptionStore, url: str) -> SubscriptionRejected | None:
    try:
        await store.create(ADMIN, "cybersecurity", None, None, "warning", url, SECRET)
    except SubscriptionRejected as rejected:
        return rejected
    return None


@pytest.mark.parametrize("name", list(ALL))
async def test_security_store_refuses_hostile_webhook_urls(
    store_db: Any, security_tally: SecurityTally, name: str
) -> None:
    store = SubscriptionStore(store_db, allow_private=False)
    rejected = await _create(store, ALL[name])
    problem = None
    if rejected is None:
        problem = "SubscriptionStore.create accepted it"
    elif rejected.field != "url":
        problem = f"refused on {rejected.field!r}, not 'url': {rejected.message}"
    elif SECRET in str(rejected):
        problem = "the refusal quotes the secret"
    failure = security_tally.record(SECURITY_AREA, f"store: {name}", problem)
    assert failure is None, failure


@pytest.mark.parametrize("name", list(SYNTAX))
async def test_security_syntax_rules_hold_even_when_private_targets_are_allowed(
    store_db: Any, security_tally: SecurityTally, name: str
) -> None:
    store = SubscriptionStore(store_db, allow_private=True)
    rejected = await _create(store, SYNTAX[name])
    problem = (
        None if rejected is not None and rejected.field == "url" else f"accepted: {rejected!r}"
    )
    failure = security_tally.record(SECURITY_AREA, f"store, private allowed: {name}", problem)
    assert failure is None, failure


async def test_security_the_guard_is_not_vacuous(
    store_db: Any, security_tally: SecurityTally
) -> None:
    """A public literal passes; a loopback one passes only when private targets are allowed."""
    strict = SubscriptionStore(store_db, allow_private=False)
    relaxed = SubscriptionStore(store_db, allow_private=True)
    outcomes = {
        "public literal, strict": await _create(strict, PUBLIC_HOOK),
        "loopback, private allowed": await _create(relaxed, "http://127.0.0.1:9/hook"),
    }
    problems = [
        security_tally.record(
            SECURITY_AREA, f"control: {name}", None if rejected is None else str(rejected)
        )
        for name, rejected in outcomes.items()
    ]
    assert not [p for p in problems if p], problems


SUBSCRIBE = (
    "mutation($url: String!, $secret: String!) { createNotificationSubscription("
    'qsmo: "cybersecurity", url: $url, secret: $secret) { id url } }'
)


@pytest.mark.parametrize("name", list(ALL))
async def test_security_gateway_refuses_hostile_webhook_urls(
    security_lane: SecurityLane, security_tally: SecurityTally, name: str
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        before = await security_lane.write_counts()
        response = await security_lane.graphql(
            http, SUBSCRIBE, {"url": ALL[name], "secret": SECRET}, who="admin"
        )
        after = await security_lane.write_counts()
    problem = graphql_answer_problem(response)
    if problem is None:
        body = response.json()
        fields = [(e.get("extensions") or {}).get("field") for e in body.get("errors") or ()]
        if error_codes(body) != ["BAD_USER_INPUT"] or fields != ["url"]:
            problem = f"expected BAD_USER_INPUT on url: {response.text[:300]}"
        elif after != before:
            problem = f"refused, but wrote: {before} -> {after}"
        elif SECRET in response.text:
            problem = "the answer quotes the secret"
    failure = security_tally.record(SECURITY_AREA, f"gateway: {name}", problem)
    assert failure is None, failure


async def test_security_gateway_accepts_a_public_webhook(
    security_lane: SecurityLane, security_tally: SecurityTally
) -> None:
    url = f"{PUBLIC_HOOK}/{uuid.uuid4().hex}"
    async with httpx.AsyncClient(timeout=30) as http:
        response = await security_lane.graphql(
            http, SUBSCRIBE, {"url": url, "secret": SECRET}, who="admin"
        )
    body = response.json()
    created = (body.get("data") or {}).get("createNotificationSubscription") or {}
    problem = None if created.get("url") == url else f"not created: {response.text[:300]}"
    if problem is None and SECRET in response.text:
        problem = "the answer returns the secret"
    failure = security_tally.record(SECURITY_AREA, "gateway: control, public literal", problem)
    assert failure is None, failure
