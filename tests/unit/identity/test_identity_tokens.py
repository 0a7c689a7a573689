"""The token verifier against a made-up provider: every way a token is refused, and the cache."""

from datetime import UTC, datetime

import pytest
from identity_unit_support import (
    AUDIENCE,
    NOW,
    FakeProvider,
    ec_key,
    hmac_token_with_public_key,
    rsa_key,
    tampered,
    unsigned_token,
)
from joserfc.jwk import RSAKey

from shared.api_keys import Person, Role
from shared.identity.refusals import RefusalReason, TokenRefused
from shared.identity.tokens import TokenVerifier


class Clocks:
    """Wall clock (token times) and monotonic clock (the cache), both set by the test."""

    def __init__(self) -> None:
        self.wall = float(NOW)
        self.mono = 1000.0


@pytest.fixture
def idp() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


def verifier_for(
    *providers: FakeProvider, clocks: Clocks, min_refetch_s: float = 30
) -> TokenVerifier:
    async def fetch(url: str):  # type: ignore[no-untyped-def]
        for provider in providers:
            if url.startswith(provider.issuer):
                return await provider.fetch_json(url)
        raise AssertionError(url)

    return TokenVerifier(
        [p.settings for p in providers],
        fetch,
        jwks_min_refetch_s=min_refetch_s,
        clock=lambda: clocks.wall,
        monotonic=lambda: clocks.mono,
    )


@pytest.fixture
def verifier(idp: FakeProvider, clocks: Clocks) -> TokenVerifier:
    return verifier_for(idp, clocks=clocks)


async def refusal(verifier: TokenVerifier, token: str) -> TokenRefused:
    with pytest.raises(TokenRefused) as refused:
        await verifier.verify(token)
    return refused.value


async def test_a_valid_rs256_token_gives_the_person_and_the_mapped_role(
    verifier: TokenVerifier, idp: FakeProvider
) -> None:
    principal = await verifier.verify(idp.token())
    assert principal.role is Role.PUBLISHER
    assert principal.qsmo == "cybersecurity"
    assert principal.key_id == "oidc:agency:person-1"
    assert principal.person == Person(
        sub="person-1",
        name="Pat Person",
        issuer=idp.issuer,
        expires_at=datetime.fromtimestamp(NOW + 600, UTC),
    )


async def test_an_es256_token_and_an_audience_list_are_accepted(
    verifier: TokenVerifier, idp: FakeProvider
) -> None:
    token = idp.token(idp.keys[1], aud=["urn:other", AUDIENCE], groups=["qsmo-viewers"])
    assert (await verifier.verify(token)).role is Role.VIEWER


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exp": NOW - 61}, RefusalReason.EXPIRED),
        ({"nbf": NOW + 61}, RefusalReason.NOT_YET_VALID),
        ({"iat": NOW + 3600}, RefusalReason.NOT_YET_VALID),
        ({"aud": "urn:qsmo:some-other-api"}, RefusalReason.WRONG_AUDIENCE),
        ({"aud": None}, RefusalReason.WRONG_AUDIENCE),
        ({"exp": None}, RefusalReason.MALFORMED),
        ({"sub": None}, RefusalReason.MALFORMED),
        ({"groups": ["payroll-clerks"]}, RefusalReason.NO_ROLE),
        ({"groups": None}, RefusalReason.NO_ROLE),
    ],
)
async def test_bad_claims_are_refused_with_their_reason(
    verifier: TokenVerifier, idp: FakeProvider, changes: dict[str, object], reason: RefusalReason
) -> None:
    refused = await refusal(verifier, idp.token(**changes))
    assert refused.reason is reason
    assert refused.status == (403 if reason is RefusalReason.NO_ROLE else 401)


async def test_the_leeway_allows_a_small_clock_skew(
    verifier: TokenVerifier, idp: FakeProvider
) -> None:
    await verifier.verify(idp.token(exp=NOW - 59, nbf=NOW + 59))


async def test_the_expiry_message_says_when_and_what_to_do(
    verifier: TokenVerifier, idp: FakeProvider
) -> None:
    refused = await refusal(verifier, idp.token(exp=1_799_990_000))
    assert "2027-01-15T" in refused.message
    assert "sign in again" in refused.message


async def test_an_unknown_issuer_is_refused_before_any_fetch(
    verifier: TokenVerifier, idp: FakeProvider
) -> None:
    refused = await refusal(verifier, idp.token(iss="https://evil.example"))
    assert refused.reason is RefusalReason.WRONG_ISSUER
    assert idp.issuer in refused.message
    assert idp.requests == []


async def test_alg_none_is_refused(verifier: TokenVerifier, idp: FakeProvider) -> None:
    for alg in ("none", "None", "NONE"):
        refused = await refusal(verifier, unsigned_token(idp.claims(), alg))
        assert refused.reason is RefusalReason.ALG_NONE
    assert idp.requests == []


async def test_an_hmac_token_signed_with_the_public_key_is_refused(
    verifier: TokenVerifier, idp: FakeProvider
) -> None:
    token = hmac_token_with_public_key(idp.claims(groups=["qsmo-admins"]), idp.keys[0], "rs-1")
    refused = await refusal(verifier, token)
    assert refused.reason is RefusalReason.ALG_HMAC
    assert idp.requests == []  # refused on the header alone


async def test_an_algorithm_outside_the_allow_list_is_refused(
    verifier: TokenVerifier, idp: FakeProvider
) -> None:
    ps_key = RSAKey.generate_key(2048, parameters={"kid": "rs-1"})
    refused = await refusal(verifier, idp.token(ps_key, alg="PS256"))
    assert refused.reason is RefusalReason.ALG_NOT_ALLOWED


async def test_a_tampered_token_is_refused(verifier: TokenVerifier, idp: FakeProvider) -> None:
    token = tampered(idp.token(), groups=["qsmo-admins"])
    refused = await refusal(verifier, token)
    assert refused.reason is RefusalReason.BAD_SIGNATURE


async def test_a_token_signed_by_another_key_with_a_known_kid_is_refused(
    verifier: TokenVerifier, idp: FakeProvider
) -> None:
    refused = await refusal(verifier, idp.token(rsa_key("rs-1")))
    assert refused.reason is RefusalReason.BAD_SIGNATURE


async def test_a_kid_that_names_a_key_of_another_algorithm_is_refused(
    verifier: TokenVerifier, idp: FakeProvider
) -> None:
    impostor = ec_key("rs-1")  # ES256-signed, claiming the RS256 key's kid
    refused = await refusal(verifier, idp.token(impostor))
    assert refused.reason is RefusalReason.BAD_SIGNATURE


async def test_an_unknown_kid_refetches_once_then_is_refused(
    verifier: TokenVerifier, idp: FakeProvider, clocks: Clocks
) -> None:
    await verifier.verify(idp.token())
    assert idp.jwks_fetches == 1
    clocks.mono += 31
    stranger = rsa_key("rs-unknown")
    refused = await refusal(verifier, idp.token(stranger))
    assert refused.reason is RefusalReason.UNKNOWN_KID
    assert "rs-unknown" in refused.message
    assert idp.jwks_fetches == 2
    # Within the rate limit, more unknown kids fetch nothing.
    for n in range(5):
        await refusal(verifier, idp.token(rsa_key(f"made-up-{n}")))
    assert idp.jwks_fetches == 2
    clocks.mono += 31
    await refusal(verifier, idp.token(stranger))
    assert idp.jwks_fetches == 3


async def test_a_rotated_key_is_found_by_the_refetch(
    verifier: TokenVerifier, idp: FakeProvider, clocks: Clocks
) -> None:
    await verifier.verify(idp.token())
    new = rsa_key("rs-2")
    idp.keys.insert(0, new)
    clocks.mono += 31
    assert (await verifier.verify(idp.token(new))).role is Role.PUBLISHER
    assert (await verifier.verify(idp.token(idp.keys[1]))).role is Role.PUBLISHER  # old still ok
    assert idp.jwks_fetches == 2


async def test_keys_are_fetched_again_after_their_max_age(
    verifier: TokenVerifier, idp: FakeProvider, clocks: Clocks
) -> None:
    await verifier.verify(idp.token())
    clocks.mono += 3599
    await verifier.verify(idp.token())
    assert idp.jwks_fetches == 1
    clocks.mono += 2
    await verifier.verify(idp.token())
    assert idp.jwks_fetches == 2


async def test_a_provider_that_is_down_refuses_with_its_own_reason_and_is_not_hammered(
    verifier: TokenVerifier, idp: FakeProvider, clocks: Clocks
) -> None:
    idp.down = True
    refused = await refusal(verifier, idp.token())
    assert refused.reason is RefusalReason.PROVIDER_UNAVAILABLE
    assert "try again" in refused.message
    await refusal(verifier, idp.token())
    assert len(idp.requests) == 1
    idp.down = False
    clocks.mono += 31
    await verifier.verify(idp.token())


async def test_cached_keys_stay_in_use_when_a_refetch_fails(
    verifier: TokenVerifier, idp: FakeProvider, clocks: Clocks
) -> None:
    await verifier.verify(idp.token())
    idp.down = True
    clocks.mono += 4000  # past the max age: a refetch is due and fails
    assert (await verifier.verify(idp.token())).role is Role.PUBLISHER


async def test_a_discovery_document_for_another_issuer_is_refused(
    idp: FakeProvider, clocks: Clocks
) -> None:
    async def lying(url: str):  # type: ignore[no-untyped-def]
        return {"issuer": "https://evil.example", "jwks_uri": idp.jwks_uri}

    verifier = TokenVerifier([idp.settings], lying, clock=lambda: clocks.wall)
    refused = await refusal(verifier, idp.token())
    assert refused.reason is RefusalReason.PROVIDER_UNAVAILABLE
    assert "https://evil.example" in refused.message


async def test_each_provider_is_checked_with_its_own_keys(clocks: Clocks) -> None:
    one, two = FakeProvider(), FakeProvider(issuer="https://login.other.gov", name="other")
    verifier = verifier_for(one, two, clocks=clocks)
    assert (await verifier.verify(one.token())).key_id == "oidc:agency:person-1"
    assert (await verifier.verify(two.token())).key_id == "oidc:other:person-1"
    # A token claiming provider two's issuer, signed with provider one's key (same kid).
    forged = two.token(one.keys[0])
    assert (await refusal(verifier, forged)).reason is RefusalReason.BAD_SIGNATURE


@pytest.mark.parametrize(
    "token",
    ["abc.def.ghi", "a.b.c", "..", "x" * 20000 + ".a.b", "eyJhbGciOiJSUzI1NiJ9.bm90anNvbg.c2ln"],
)
async def test_garbage_is_malformed(verifier: TokenVerifier, token: str) -> None:
    assert (await refusal(verifier, token)).reason is RefusalReason.MALFORMED


async def test_a_token_without_kid_is_malformed(verifier: TokenVerifier, idp: FakeProvider) -> None:
    from joserfc import jwt

    token = jwt.encode({"alg": "RS256"}, idp.claims(), idp.keys[0], algorithms=["RS256"])
    assert (await refusal(verifier, token)).reason is RefusalReason.MALFORMED
