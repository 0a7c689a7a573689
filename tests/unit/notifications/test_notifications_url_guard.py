"""Webhook URL rules and the SSRF guard (with a fake resolver: no network)."""

from collections.abc import Sequence

import pytest

from services.notifications.url_guard import UnsafeUrlError, check_destination, is_public_address


async def public_dns(host: str, port: int) -> Sequence[str]:
    return {"hooks.example.com": ["93.184.216.34"], "rebind.example.com": ["10.0.0.7"]}[host]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/x",
        "javascript:alert(1)",
        "https://user:pw@hooks.example.com/x",
        "https://hooks.example.com/x\r\nX-Evil: 1",
        "https://hooks.example.com/a b",
        "https://hooks.example.com/x#frag",
        "https:///nohost",
        "http://127.0.0.1:8080/x",
        "http://[::1]/x",
        "http://10.1.2.3/x",
        "http://192.168.0.10/x",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/x",
        "http://0.0.0.0/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://localhost:8000/x",
        "http://metadata.internal/x",
        "https://rebind.example.com/x",
        "https://hooks.example.com:0/x",
    ],
)
async def test_rejected(url: str) -> None:
    with pytest.raises(UnsafeUrlError):
        await check_destination(url, allow_private=False, resolver=public_dns)


async def test_accepted_public_https_and_private_when_allowed() -> None:
    await check_destination(
        "https://hooks.example.com/qsmo?x=1", allow_private=False, resolver=public_dns
    )
    await check_destination("http://127.0.0.1:9999/hook", allow_private=True, resolver=public_dns)
    with pytest.raises(UnsafeUrlError):  # syntax rules hold even when private targets are allowed
        await check_destination("http://u:p@127.0.0.1/", allow_private=True, resolver=public_dns)


async def test_a_host_that_does_not_resolve_is_rejected() -> None:
    async def failing(host: str, port: int) -> Sequence[str]:
        raise OSError("no such host")

    with pytest.raises(UnsafeUrlError, match="does not resolve"):
        await check_destination(
            "https://nowhere.example.com/", allow_private=False, resolver=failing
        )


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("224.0.0.1", False),
        ("2606:4700::1111", True),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public_address(address) is public
