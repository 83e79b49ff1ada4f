"""Serves the browser client. Deep links (`/qr/<token>`, `/#/…`) load the same shell."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)

_SHELL_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        "connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'; "
        # The in-app browser frames the pages that links in chats point to (sandboxed).
        "frame-src http: https:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@router.get("/")
async def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers=_SHELL_HEADERS)


@router.get("/qr/{token}")
async def qr_link(token: str) -> FileResponse:
    """A scanned platform QR code opened in a browser: the client resolves the token."""
    return FileResponse(STATIC / "index.html", headers=_SHELL_HEADERS)


class ClientFiles(StaticFiles):
    """The client's modules, revalidated on every load (by ETag) so an upgrade is seen at once."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
