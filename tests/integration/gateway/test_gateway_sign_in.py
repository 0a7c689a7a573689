"""Signing in through the real local OpenID provider (npm's oidc-provider, run by the stack).

The verifier of ``shared.identity`` against the provider's real discovery document and JWKS
over HTTP, for every development user; a wrong password gets no code; the ``make token``
example of docs/operations.md ("Identity") runs verbatim against a gateway; and a key
rotation (``server.mjs rotate-keys``, on a provider instance of this test's own) is picked up
by one refetch while tokens signed with the previous key still verify; a websocket opened
with a token closes when the token expires.
"""

import asyncio
import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import qsmo_stack
from gateway_pipeline_support import Keys, Lane, run_shell_example
from oidc_sign_in import SignInError, access_token, dev_users, sign_in
from pydantic import TypeAdapter
from qsmo_local.oidc_provider import (
    ensure_oidc_provider,
    issuer_url,
    prepare_server,
    providers_setting,
    server_env,
)
from qsmo_local.readiness import http_ok, wait_until
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from shared.api_keys import Role
from shared.identity.refusals import RefusalReason, TokenRefused
from shared.identity.settings import OidcProviderSettings
from shared.identity.signing_keys import http_json_fetcher
from shared.identity.tokens import TokenVerifier

REPO = Path(__file__).resolve().parents[3]
SECTION = (REPO / "docs" / "operations.md").read_text().split("\n## Identity\n")[1]
SH_BLOCKS = re.findall(r"```sh\n(.*?)```", SECTION, re.DOTALL)
TOKEN_EXAMPLE = next(b for b in SH_BLOCKS if "token" in b)
CONFIG_EXAMPLE = next(b for b in SH_BLOCKS if "/dashboard/config.json" in b)
EXPECTED_ROLES = {
    "dev-admin": (Role.ADMIN, None, None),
    "dev-viewer": (Role.VIEWER, None, None),
    "dev-publisher-cybersecurity": (Role.PUBLISHER, "cybersecurity", None),
    "dev-publisher-financial-management": (Role.PUBLISHER, "financial-management", None),
    "dev-provider-usda-nfc": (Role.PROVIDER, None, "usda-nfc"),
}


def verifier_for(issuer_port: int, min_refetch_s: float = 30) -> TokenVerifier:
    """The platform's verifier trusting the provider on ``issuer_port`` (as the stack sets
    ``QSMO_OIDC_PROVIDERS``), fetching over real HTTP."""
    settings = TypeAdapter(list[OidcProviderSettings]).validate_json(providers_setting(issuer_port))
    return TokenVerifier(settings, http_json_fetcher(5), jwks_min_refetch_s=min_refetch_s)


async def test_every_user_verifies_against_the_real_provider(stack: qsmo_stack.Stack) -> None:
    verifier = verifier_for(stack.ports["oidc"])
    users = dev_users()
    assert set(EXPECTED_ROLES) | {"dev-no-role"} == set(users)
    for username, user in users.items():
        token = await access_token(stack.oidc_issuer, username, stack.oidc_redirect_uri)
        if username == "dev-no-role":
            with pytest.raises(TokenRefused) as refused:
                await verifier.verify(token)
            assert refused.value.reason is RefusalReason.NO_ROLE
            continue
        principal = await verifier.verify(token)
        assert (principal.role, principal.qsmo, principal.provider) == EXPECTED_ROLES[username]
        assert principal.person is not None
        assert principal.person.sub == username
        assert principal.person.name == user.name
        assert principal.person.issuer == stack.oidc_issuer
    assert next(iter(verifier.keys.values())).fetches == 1  # one JWKS fetch for all users


async def test_a_wrong_password_gets_no_code(stack: qsmo_stack.Stack) -> None:
    with pytest.raises(SignInError, match="refused dev-admin"):
        await sign_in(
            stack.oidc_issuer, "dev-admin", password="not-it", redirect_uri=stack.oidc_redirect_uri
        )
    with pytest.raises(SignInError, match="refused nobody"):
        await sign_in(stack.oidc_issuer, "nobody", redirect_uri=stack.oidc_redirect_uri)


@pytest.fixture(scope="module")
async def gateway_lane(stack: qsmo_stack.Stack) -> AsyncIterator[Lane]:
    lane = Lane()
    await lane.create_topics(stack.kafka_bootstrap)
    label = f"-signin-{lane.tag}"
    stack.start_service("gateway", extra_env=lane.env("gateway"), instance=label, timeout_s=120)
    try:
        yield lane
    finally:
        stack.stop(f"gateway{label}")


def test_the_make_token_example_runs(stack: qsmo_stack.Stack, gateway_lane: Lane) -> None:
    stack_cli = f"{sys.executable} {REPO}/deploy/local/qsmo_stack.py token --home {stack.home}"
    script = TOKEN_EXAMPLE.replace("make -s token AS=", f"{stack_cli} --user ").replace(
        "http://127.0.0.1:8000", gateway_lane.url("gateway", "")
    )
    documented = re.search(r"# → (.*)", TOKEN_EXAMPLE)
    assert documented is not None
    assert run_shell_example(script, REPO) == [json.loads(documented.group(1))]


def test_the_dashboard_config_example_runs(stack: qsmo_stack.Stack, gateway_lane: Lane) -> None:
    """docs/operations.md's ``/dashboard/config.json`` example against a gateway of the test
    stack, which trusts the stack's provider (its issuer instead of port 8010's)."""
    script = CONFIG_EXAMPLE.replace("http://127.0.0.1:8000", gateway_lane.url("gateway", ""))
    documented = re.search(r"# → (.*)", CONFIG_EXAMPLE)
    assert documented is not None
    expected = json.loads(documented.group(1).replace("http://127.0.0.1:8010", stack.oidc_issuer))
    assert run_shell_example(script, REPO) == [expected]


@pytest.fixture
def own_provider(stack: qsmo_stack.Stack, tmp_path: Path) -> tuple[int, Path]:
    """A second provider instance (own port, own keys), so rotating leaves the stack's alone."""
    port = qsmo_stack.free_port()
    data = tmp_path / "oidc-data"
    script = prepare_server(ensure_oidc_provider(), tmp_path / "oidc-run")
    env = server_env(port, data, [stack.oidc_redirect_uri])
    start_provider(stack, script, env, port)
    return port, script


def start_provider(stack: qsmo_stack.Stack, script: Path, env: dict[str, str], port: int) -> None:
    stack.spawn("oidc-rotation", ["node", str(script)], env=env, cwd=script.parent)
    wait_until(
        lambda: http_ok(f"{issuer_url(port)}/.well-known/openid-configuration"),
        60,
        "the test's own OpenID provider",
        stack.logs / "oidc-rotation.log",
    )


def rotate_keys(script: Path, env: dict[str, str]) -> None:
    """``node server.mjs rotate-keys``: a new key pair first, the previous one kept."""
    rotated = subprocess.run(
        ["node", str(script), "rotate-keys"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert rotated.returncode == 0, rotated.stderr


def kid_of(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


async def test_a_rotated_key_is_picked_up_by_one_refetch(
    stack: qsmo_stack.Stack, own_provider: tuple[int, Path], tmp_path: Path
) -> None:
    port, script = own_provider
    issuer = issuer_url(port)
    env = server_env(port, tmp_path / "oidc-data", [stack.oidc_redirect_uri])
    verifier = verifier_for(port, min_refetch_s=0)
    keys = next(iter(verifier.keys.values()))
    try:
        old = await access_token(issuer, "dev-admin", stack.oidc_redirect_uri)
        await verifier.verify(old)
        assert keys.fetches == 1
        rotate_keys(script, env)
        stack.stop("oidc-rotation")
        start_provider(stack, script, env, port)  # now signing with the new key
        new = await access_token(issuer, "dev-admin", stack.oidc_redirect_uri)
        assert kid_of(new) != kid_of(old)
        assert (await verifier.verify(new)).role is Role.ADMIN
        assert keys.fetches == 2  # the unknown kid fetched the keys once
        assert (await verifier.verify(old)).role is Role.ADMIN  # the old key stays published
        assert keys.fetches == 2
    finally:
        stack.stop("oidc-rotation")


async def test_a_websocket_closes_when_its_token_expires(
    stack: qsmo_stack.Stack, tmp_path: Path
) -> None:
    """A gateway trusting a provider whose tokens live 3 s: the websocket opened with one is
    acknowledged, then closed with 4401 when the token expires; a key's connection stays."""
    port = qsmo_stack.free_port()
    script = prepare_server(ensure_oidc_provider(), tmp_path / "oidc-run")
    env = {
        **server_env(port, tmp_path / "oidc-data", [stack.oidc_redirect_uri]),
        "QSMO_OIDC_ACCESS_TOKEN_TTL_S": "3",
    }
    lane = Lane()
    await lane.create_topics(stack.kafka_bootstrap)
    label = f"-expiry-{lane.tag}"
    start_provider(stack, script, env, port)
    try:
        gateway_env = {**lane.env("gateway"), "QSMO_OIDC_PROVIDERS": providers_setting(port)}
        stack.start_service("gateway", extra_env=gateway_env, instance=label, timeout_s=120)
        token = await access_token(issuer_url(port), "dev-viewer", stack.oidc_redirect_uri)
        url = lane.url("gateway", "/graphql").replace("http://", "ws://")
        viewer_key = Keys.load(stack.plaintext_keys_file).viewer
        async with (
            connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as with_token,
            connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as with_key,
        ):
            for ws, bearer in ((with_token, token), (with_key, viewer_key)):
                payload = {"Authorization": f"Bearer {bearer}"}
                await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
                assert json.loads(await ws.recv())["type"] == "connection_ack"
            await asyncio.wait_for(with_token.wait_closed(), timeout=30)
            assert with_token.close_code == 4401
            assert with_token.close_reason == "the sign-in token expired"
            await with_key.ping()  # the key's connection is still open
    finally:
        stack.stop(f"gateway{label}")
        stack.stop("oidc-rotation")
