"""Platform routes that belong to no domain: health, metrics, media, QR codes."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import HTTPConnection

from hutong.core.auth import Principal, optional_principal
from hutong.core.errors import Unavailable
from hutong.core.media import MediaStore, sniff_mime
from hutong.core.qrcodes import QrRegistry, qr_png, qr_svg

router = APIRouter()


@router.get("/healthz", tags=["operations"])
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", tags=["operations"])
async def readyz(request: Request) -> dict[str, Any]:
    """The database (and Redis, when configured) answer."""
    state = request.app.state
    checks: dict[str, str] = {}
    try:
        with anyio.fail_after(3):
            await state.db.ping()
        checks["database"] = "ok"
    except Exception as exc:
        raise Unavailable("The database does not answer.", extra={"checks": checks}) from exc
    if state.settings.redis_url:
        try:
            with anyio.fail_after(3):
                await state.pubsub.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            raise Unavailable("Redis does not answer.", extra={"checks": checks}) from exc
    return {"status": "ready", "checks": checks}


@router.get("/metrics", tags=["operations"], include_in_schema=False)
async def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )


@router.get("/media/{media_id}", tags=["media"])
async def media(media_id: str, request: Request) -> Response:
    """A stored file by its content hash. Immutable, so cached for a year."""
    store: MediaStore = request.app.state.media
    data = await anyio.to_thread.run_sync(store.get_sync, media_id)
    return Response(
        data,
        media_type=sniff_mime(data),
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _registry(conn: HTTPConnection) -> QrRegistry:
    reg: QrRegistry = conn.app.state.qr
    return reg


Registry = Annotated[QrRegistry, Depends(_registry)]


@router.get("/qr/{token}.svg", tags=["qr"])
async def qr_image_svg(token: str, request: Request, reg: Registry) -> Response:
    """The QR code of `/qr/<token>` as SVG."""
    reg.verify(token)
    url = str(request.base_url).rstrip("/") + f"/qr/{token}"
    return Response(qr_svg(url), media_type="image/svg+xml")


@router.get("/qr/{token}.png", tags=["qr"])
async def qr_image_png(token: str, request: Request, reg: Registry) -> Response:
    """The QR code of `/qr/<token>` as PNG."""
    reg.verify(token)
    url = str(request.base_url).rstrip("/") + f"/qr/{token}"
    return Response(await anyio.to_thread.run_sync(qr_png, url), media_type="image/png")


@router.get("/api/qr/{token}", tags=["qr"])
async def qr_resolve(
    token: str, reg: Registry, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> dict[str, Any]:
    """What a scanned code means: its kind and what the client should show."""
    return await reg.resolve(token, principal)
