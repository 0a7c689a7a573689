"""Which webhook URLs the service will call: syntax rules and an SSRF guard.

A webhook URL is ``http`` or ``https``, names a host, carries no credentials, no fragment,
no whitespace or control characters (no header injection through CR/LF) and is at most
2,048 characters. Unless private targets are allowed (``QSMO_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS``,
for tests and local stacks), every address the host resolves to must be globally routable:
loopback, private, link-local, shared (CGNAT), multicast, reserved and unspecified addresses
are refused. The check runs when a subscription is created *and* before every delivery,
because DNS answers change.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import SplitResult, urlsplit

MAX_URL_LENGTH = 2048
BLOCKED_HOST_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolves ``(host, port)`` to IP address strings."""


class UnsafeUrlError(ValueError):
    """The URL may not be used as a webhook target; the message says why."""


def parse_webhook_url(url: str) -> SplitResult:
    """The URL's parts after the syntax rules; raises ``UnsafeUrlError``."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrlError(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url) or "\\" in url:
        raise UnsafeUrlError("the URL contains whitespace, a control character or a backslash")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeUrlError(f"the URL is malformed: {error}") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrlError("only http and https URLs are allowed")
    if not parts.hostname:
        raise UnsafeUrlError("the URL names no host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeUrlError("the URL may not contain credentials (user:password@)")
    if parts.fragment:
        raise UnsafeUrlError("the URL may not contain a fragment (#…)")
    if port == 0:
        raise UnsafeUrlError("port 0 is not a valid port")
    return parts


def default_port(parts: SplitResult) -> int:
    """The URL's port, or the scheme's default."""
    return parts.port or (443 if parts.scheme == "https" else 80)


_EMBEDS_IPV4 = tuple(
    ipaddress.ip_network(net)
    for net in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48")
)
"""IPv6 forms whose last 32 bits are an IPv4 address a packet may end up at (compatible,
translated, NAT64): judged by that IPv4 address."""


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address; IPv6 that embeds IPv4 judged as IPv4."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
        address.split("%", 1)[0]
    )
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif any(ip in net for net in _EMBEDS_IPV4):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.is_site_local:
            return False
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def _literal_ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


async def system_resolver(host: str, port: int) -> Sequence[str]:
    """Every address the system resolver gives for ``host``."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return sorted({str(info[4][0]) for info in infos})


async def check_destination(
    url: str, *, allow_private: bool, resolver: Resolver = system_resolver
) -> None:
    """Raise ``UnsafeUrlError`` unless ``url`` is well formed and (if required) public."""
    parts = parse_webhook_url(url)
    if allow_private:
        return
    host = (parts.hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(BLOCKED_HOST_SUFFIXES):
        raise UnsafeUrlError(f"'{host}' is a local host name; use a public host")
    literal = _literal_ip(host)
    if literal is not None:
        addresses: Sequence[str] = [literal]
    else:
        try:
            addresses = await resolver(host, default_port(parts))
        except (OSError, UnicodeError) as error:
            raise UnsafeUrlError(f"the host '{host}' does not resolve ({error})") from None
        if not addresses:
            raise UnsafeUrlError(f"the host '{host}' does not resolve")
    for address in addresses:
        if not is_public_address(address):
            raise UnsafeUrlError(
                f"the host '{host}' resolves to {address}, a loopback, private, link-local or "
                "otherwise non-public address"
            )
