"""Each provider's signing keys: discovery, then its JWKS, cached and refetched with care.

The keys are fetched on the first token (a provider that is down does not stop a service
from starting), again after ``max_age_s``, and once more when a token names a ``kid`` the
cache lacks — the provider rotated its keys — but never more often than every
``min_refetch_s`` per provider, so a stream of tokens with made-up ``kid`` values cannot turn
the platform into a load generator against the provider. When a refetch fails, the keys
already held stay in use.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import Key, import_key

from shared.identity.settings import OidcProviderSettings

FetchJson = Callable[[str], Awaitable[Mapping[str, Any]]]
"""GET a URL and return its JSON object (raises ``KeysUnavailable`` when it cannot)."""
PUBLIC_KEY_TYPES = ("RSA", "EC", "OKP")
logger = logging.getLogger(__name__)


class KeysUnavailable(Exception):  # noqa: N818 - a condition, not a programming fault
    """The provider's discovery document or key set could not be fetched or read."""


def http_json_fetcher(timeout_s: float) -> FetchJson:
    """``FetchJson`` over HTTPS (httpx): redirects not followed, bodies over 1 MiB refused."""

    async def fetch(url: str) -> Mapping[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False) as http:
                response = await http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as error:
            raise KeysUnavailable(f"GET {url} failed: {type(error).__name__}") from None
        if response.status_code != 200:
            raise KeysUnavailable(f"GET {url} answered {response.status_code}")
        if len(response.content) > 1024 * 1024:
            raise KeysUnavailable(f"GET {url} answered more than 1 MiB")
        try:
            body = response.json()
        except ValueError:
            raise KeysUnavailable(f"GET {url} did not answer JSON") from None
        if not isinstance(body, dict):
            raise KeysUnavailable(f"GET {url} did not answer a JSON object")
        return body

    return fetch


def public_keys(jwks: Mapping[str, Any]) -> dict[str, Key]:
    """The signing keys of a JWKS by ``kid``; private parts, encryption keys, symmetric keys
    and keys without a ``kid`` are left out (a JWKS never legitimately holds them)."""
    found: dict[str, Key] = {}
    entries = jwks.get("keys")
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict) or entry.get("kty") not in PUBLIC_KEY_TYPES:
            continue
        if entry.get("use", "sig") != "sig" or not isinstance(entry.get("kid"), str):
            continue
        public = {k: v for k, v in entry.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}
        try:
            found[entry["kid"]] = import_key(public)
        except (JoseError, ValueError, TypeError):
            logger.warning("skipped an unreadable key %r in a JWKS", entry.get("kid"))
    return found


class ProviderKeys:
    """The cached signing keys of one provider."""

    def __init__(
        self,
        provider: OidcProviderSettings,
        fetch_json: FetchJson,
        *,
        max_age_s: float,
        min_refetch_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = provider
        self._fetch_json = fetch_json
        self._max_age_s = max_age_s
        self._min_refetch_s = min_refetch_s
        self._monotonic = monotonic
        self._keys: dict[str, Key] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._last_error = ""
        self._lock = asyncio.Lock()
        self.fetches = 0
        """How many times the key set was fetched (tests and logs)."""

    async def key(self, kid: str) -> Key | None:
        """The key ``kid``, fetching when the cache is empty or old, or once more on a miss.

        Raises ``KeysUnavailable`` when no key set was ever fetched and fetching fails.
        """
        stale = self._fetched_at is None or self._monotonic() - self._fetched_at >= self._max_age_s
        if stale or kid not in self._keys:
            await self._refresh()
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        async with self._lock:
            now = self._monotonic()
            if self._attempted_at is not None and now - self._attempted_at < self._min_refetch_s:
                # Tried moments ago (perhaps by a task this one waited for): no new request.
                if self._fetched_at is None:
                    raise KeysUnavailable(self._last_error)
                return
            self._attempted_at = now
            try:
                keys = public_keys(await self._fetch_json(await self._jwks_uri()))
            except KeysUnavailable as error:
                self._last_error = str(error)
                if self._fetched_at is None:
                    raise
                logger.warning("kept the cached keys of %s: %s", self.provider.name, error)
                return
            self.fetches += 1
            self._keys, self._fetched_at = keys, self._monotonic()

    async def _jwks_uri(self) -> str:
        if self.provider.jwks_uri is not None:
            return self.provider.jwks_uri
        document = await self._fetch_json(self.provider.discovery_url)
        if document.get("issuer") != self.provider.issuer:
            raise KeysUnavailable(
                f"{self.provider.discovery_url} names the issuer {document.get('issuer')!r}, "
                f"not {self.provider.issuer!r}: set the provider's issuer exactly as its "
                "discovery document says"
            )
        uri = document.get("jwks_uri")
        if not isinstance(uri, str):
            raise KeysUnavailable(f"{self.provider.discovery_url} has no jwks_uri")
        return uri
