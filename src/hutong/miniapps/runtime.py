"""The mini-program origin: serves the files of a version named by a signed launch ticket.

This is a separate ASGI application, meant to listen on its own origin
(`HUTONG_MINIAPP_ORIGIN`), so an app's scripts can never read the host's cookies, storage or
DOM. Every answer carries a Content-Security-Policy that sandboxes the document (scripts and
forms allowed, no same-origin access, no top navigation, no popups), lets it load only its own
files, lets it connect only to the app's declared server domains (https), and lets only the
host frame it; plus `nosniff` and no referrer.
"""

from __future__ import annotations

import mimetypes

from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from hutong.core.errors import HutongError
from hutong.miniapps.models import MiniApp, MiniAppVersion
from hutong.miniapps.service import MiniApps

TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json"}


def policy(domains: list[str], host_origin: str) -> str:
    connect = " ".join(f"https://{d}" for d in domains) or "'none'"
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src {connect}",
            "base-uri 'none'",
            "form-action 'none'",
            f"frame-ancestors {host_origin}",
            "sandbox allow-scripts allow-forms",
        )
    )


def build_runtime_app(svc: MiniApps, host_origin: str) -> Starlette:
    """The ASGI app for the mini-program origin; `host_origin` is Hutong's own web origin."""

    async def serve(request: Request) -> Response:
        try:
            path, version_id = svc.versions.file_for(
                request.path_params["ticket"], request.path_params["path"]
            )
        except HutongError:
            return PlainTextResponse("Not found", status_code=404)
        async with svc.db.read() as s:
            domains = await s.scalar(
                select(MiniApp.domains)
                .join(MiniAppVersion, MiniAppVersion.app_id == MiniApp.id)
                .where(MiniAppVersion.id == version_id)
            )
        media_type = TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
        return FileResponse(
            path,
            media_type=media_type or "application/octet-stream",
            headers={
                "Content-Security-Policy": policy(list(domains or []), host_origin),
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
                "Cross-Origin-Opener-Policy": "same-origin",
                "Cache-Control": "private, max-age=300",
            },
        )

    return Starlette(routes=[Route("/app/{ticket}/{path:path}", serve, methods=["GET", "HEAD"])])
