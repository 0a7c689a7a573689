"""``GET /v1/reviews/{id}/packet.pdf|.xlsx|.csv``: a review's stored packet.

Same bearer keys and permission as the ``Review`` type in GraphQL (``READ``: any key). The id
is URL-encoded (``FY2025-Q2%7Ccybersecurity``). The newest rendering is served: a DRAFT's
preview (marked DRAFT on every page) or the READY review's frozen packet.

Answers: 200 with the bytes (``application/pdf``, the XLSX type, ``text/csv; charset=utf-8``;
``Content-Disposition: attachment``, ``ETag`` the SHA-256); 401 ``UNAUTHENTICATED``; 404
``NOT_FOUND`` (no such review, or format); 409 ``PACKET_NOT_READY`` naming the packet's
status (asked for, rendering, or failed with its error). Errors are
``{"error": {"code", "message"}}``.
"""

from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response

from gateway.auth import identify
from shared.authorization import Permission, PermissionDenied, require
from shared.domain.reviews import PacketStatus
from shared.review_packets import FORMATS, PacketFormat

if TYPE_CHECKING:  # the runtime holds the reviews, whose worker links here
    from gateway.runtime import GatewayRuntime

PREFIX = "/v1/reviews"


def packet_path(review_id: str, fmt: PacketFormat) -> str:
    """``/v1/reviews/FY2025-Q2%7Ccybersecurity/packet.pdf``."""
    return f"{PREFIX}/{quote(review_id, safe='')}/packet.{fmt}"


def packet_links(review_id: str, public_url: str | None) -> dict[str, str]:
    """Each format's URL: absolute under ``public_url`` when set, else a path."""
    base = (public_url or "").rstrip("/")
    return {fmt: base + packet_path(review_id, fmt) for fmt in FORMATS}


def _error(status: int, code: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


router = APIRouter(tags=["reviews"])


@router.get(
    PREFIX + "/{review_id}/packet.{fmt}",
    summary="A review's packet as PDF, XLSX or CSV (any key)",
    response_model=None,
)
async def review_packet(
    request: Request,
    review_id: Annotated[str, Path(max_length=200)],
    fmt: Annotated[str, Path(max_length=8)],
) -> Response:
    runtime: GatewayRuntime = request.app.state.runtime
    caller = identify(runtime.key_ring, request.headers.get("authorization"))
    if caller.principal is None:
        return _error(401, "UNAUTHENTICATED", caller.problem or "send an API key")
    try:
        require(caller.principal, Permission.READ, action="read review packets")
    except PermissionDenied as denied:
        return _error(403, "FORBIDDEN", denied.message)
    if fmt not in FORMATS:
        return _error(404, "NOT_FOUND", f"no packet format '{fmt}': ask for {', '.join(FORMATS)}")
    chosen: PacketFormat = fmt  # narrowed by the check above
    reviews = runtime.reviews
    review = await reviews.store.get(review_id)
    if review is None:
        return _error(404, "NOT_FOUND", f"no review with id '{review_id}'")
    stored = await reviews.packets.get(review_id, chosen)
    if review.packet.status is not PacketStatus.DONE or stored is None:
        return _error(
            409, "PACKET_NOT_READY", _not_ready(review.packet.status, review.packet.error)
        )
    return Response(
        stored.content,
        media_type=stored.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{stored.filename()}"',
            "ETag": f'"{stored.sha256}"',
            "Cache-Control": "private, no-cache",
        },
    )


def _not_ready(status: PacketStatus, error: str | None) -> str:
    if status is PacketStatus.FAILED:
        return (
            f"the packet's status is FAILED ({error}); an admin or the QSMO's publisher can "
            "ask for it again with rerenderReviewPacket"
        )
    return f"the packet's status is {status.value}: it is being rendered; retry in a few seconds"
