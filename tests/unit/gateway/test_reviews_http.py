"""``GET /v1/reviews/{id}/packet.pdf|.xlsx|.csv`` on in-memory stores (fake packet builder)."""

from collections.abc import AsyncIterator

import httpx
import pytest
from gateway_unit_support import KEYS, NOW, Harness, principal

from gateway.app import assemble
from gateway.reviews.packet_http import packet_links
from gateway.reviews.service import NewReview

PATH = "/v1/reviews/FY2024-Q2%7Ccybersecurity/packet"


@pytest.fixture
async def client(harness: Harness) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=assemble(harness.runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


def bearer(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[name]}"}


async def _no_name(_: str | None) -> str | None:
    return None


async def _draft(harness: Harness) -> None:
    asked = NewReview(2024, 2, "cybersecurity", NOW.date(), ["CFO"], title="Q2 review")
    await harness.runtime.reviews.service.create(principal("admin"), asked, _no_name)


async def test_a_packet_needs_a_key(client: httpx.AsyncClient, harness: Harness) -> None:
    await _draft(harness)
    await harness.runtime.reviews.worker.sweep()
    for headers in ({}, {"Authorization": "Bearer not-a-key"}):
        response = await client.get(f"{PATH}.pdf", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHENTICATED"
        assert response.headers["www-authenticate"] == "Bearer"
        assert b"%PDF" not in response.content


async def test_unknown_reviews_and_formats_are_404(
    client: httpx.AsyncClient, harness: Harness
) -> None:
    await _draft(harness)
    missing = await client.get(
        "/v1/reviews/FY2024-Q2%7Cnowhere/packet.pdf", headers=bearer("viewer")
    )
    assert missing.status_code == 404
    assert "no review with id 'FY2024-Q2|nowhere'" in missing.json()["error"]["message"]
    docx = await client.get(f"{PATH}.docx", headers=bearer("viewer"))
    assert docx.status_code == 404
    assert "pdf, xlsx, csv" in docx.json()["error"]["message"]


async def test_a_packet_not_rendered_yet_is_409_naming_its_status(
    client: httpx.AsyncClient, harness: Harness
) -> None:
    await _draft(harness)
    response = await client.get(f"{PATH}.pdf", headers=bearer("viewer"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "PACKET_NOT_READY"
    assert "PENDING" in response.json()["error"]["message"]


async def test_every_format_is_served_with_its_media_type(
    client: httpx.AsyncClient, harness: Harness
) -> None:
    await _draft(harness)
    await harness.runtime.reviews.worker.sweep()
    review = await harness.runtime.reviews.store.get("FY2024-Q2|cybersecurity")
    assert review is not None
    expected = {
        "pdf": ("application/pdf", b"%PDF"),
        "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
        "csv": ("text/csv; charset=utf-8", b"section,text"),
    }
    for fmt, (media_type, start) in expected.items():
        response = await client.get(f"{PATH}.{fmt}", headers=bearer("pub:financial-management"))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == media_type
        assert response.content.startswith(start)
        assert response.headers["content-disposition"] == (
            f'attachment; filename="review-FY2024-Q2-cybersecurity.{fmt}"'
        )
        assert response.headers["etag"] == f'"{review.packet.sha256[fmt]}"'


def test_links_are_paths_or_absolute_under_the_public_url() -> None:
    assert packet_links("FY2024-Q2|government", None) == {
        "pdf": "/v1/reviews/FY2024-Q2%7Cgovernment/packet.pdf",
        "xlsx": "/v1/reviews/FY2024-Q2%7Cgovernment/packet.xlsx",
        "csv": "/v1/reviews/FY2024-Q2%7Cgovernment/packet.csv",
    }
    absolute = packet_links("FY2024-Q2|a/b", "https://qsmo.example.gov/")
    assert absolute["pdf"] == "https://qsmo.example.gov/v1/reviews/FY2024-Q2%7Ca%2Fb/packet.pdf"
