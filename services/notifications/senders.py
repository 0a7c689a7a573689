"""Delivery channels behind the ``Sender`` port: webhooks over httpx, and an in-memory fake.

``WebhookSender`` signs each attempt (``delivery.sign``), re-checks the target against the
SSRF guard (DNS answers change after a subscription was created), never follows redirects,
and bounds every request by a timeout. It reports the receiver's failures as outcomes; it
raises only for its own bugs.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from services.notifications.delivery import (
    DELIVERY_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from services.notifications.ports import OutgoingMessage, SendOutcome
from services.notifications.url_guard import (
    Resolver,
    UnsafeUrlError,
    check_destination,
    system_resolver,
)

USER_AGENT = "qsmo-notifications/1"


def signed_headers(message: OutgoingMessage, timestamp: str) -> dict[str, str]:
    """The headers of one attempt: content type, timestamp, signature and delivery id."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(message.secret, timestamp, message.body.encode()),
        DELIVERY_ID_HEADER: message.delivery_id,
    }


class WebhookSender:
    """POSTs signed JSON to a subscription's URL; 2xx is success, anything else a failure."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        timeout_s: float,
        allow_private: bool,
        resolver: Resolver = system_resolver,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._timeout = httpx.Timeout(timeout_s)
        self._allow_private = allow_private
        self._resolver = resolver
        self._clock = clock

    async def send(self, message: OutgoingMessage) -> SendOutcome:
        try:
            await check_destination(
                message.url, allow_private=self._allow_private, resolver=self._resolver
            )
        except UnsafeUrlError as error:
            return SendOutcome(ok=False, error=f"blocked: {error}")
        headers = signed_headers(message, str(int(self._clock())))
        try:
            response = await self._client.post(
                message.url,
                content=message.body.encode(),
                headers=headers,
                timeout=self._timeout,
                follow_redirects=False,
            )
        except httpx.TimeoutException:
            return SendOutcome(ok=False, error="timed out")
        except httpx.HTTPError as error:
            return SendOutcome(ok=False, error=f"{type(error).__name__}: {error}"[:300])
        if 200 <= response.status_code < 300:
            return SendOutcome(ok=True, status_code=response.status_code)
        return SendOutcome(
            ok=False, status_code=response.status_code, error=f"HTTP {response.status_code}"
        )


@dataclass
class InMemorySender:
    """Records every message; ``script`` gives the outcomes in order (then success)."""

    script: list[SendOutcome] = field(default_factory=list)
    sent: list[OutgoingMessage] = field(default_factory=list)

    async def send(self, message: OutgoingMessage) -> SendOutcome:
        self.sent.append(message)
        return self.script.pop(0) if self.script else SendOutcome(ok=True, status_code=200)
