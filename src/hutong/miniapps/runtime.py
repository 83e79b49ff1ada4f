"""The mini-program origin: serves the files of a version named by a signed launch ticket.

This is a separate ASGI application, meant to listen on its own origin
(`HUTONG_MINIAPP_ORIGIN`), so an app's scripts can never read the host's cookies, storage or
DOM. Every answer carries a Content-Security-Policy that sandboxes the document (scripts and
forms allowed, no same-origin access, no top navigation, no popups), lets it load only its own
files, lets it connect only to the app's declared server domains (https), and lets only the
host frame it; plus `nosniff` and no referrer.

The SDK (`/sdk/hutong.js`) comes from the same origin with the host's origin written in, so
its one message to the host is addressed to exactly that origin.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from hutong.core.errors import HutongError
from hutong.miniapps.models import MiniApp, MiniAppVersion
from hutong.miniapps.service import MiniApps

SDK = Path(__file__).with_name("sdk") / "hutong.js"
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json"}


def policy(domains: list[str], host_origin: str, *, allow_http: bool = False) -> str:
    """The CSP of an app's files. `allow_http` (an operator who allows private addresses, as
    the demo does) lets the app reach its declared domains over plain http as well."""
    schemes = ("https", "http") if allow_http else ("https",)
    connect = " ".join(f"{scheme}://{d}" for d in domains for scheme in schemes) or "'none'"
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
    allow_http = svc.policy.webhook_allow_private
    sdk = SDK.read_text().replace("__HUTONG_HOST_ORIGIN__", host_origin.rstrip("/")).encode()

    async def serve_sdk(request: Request) -> Response:
        return Response(
            sdk,
            media_type="text/javascript",
            headers={
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "public, max-age=300",
            },
        )

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
                "Content-Security-Policy": policy(
                    list(domains or []), host_origin, allow_http=allow_http
                ),
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
                "Cross-Origin-Opener-Policy": "same-origin",
                "Cache-Control": "private, max-age=300",
            },
        )

    return Starlette(
        routes=[
            Route("/sdk/hutong.js", serve_sdk, methods=["GET", "HEAD"]),
            Route("/app/{ticket}/{path:path}", serve, methods=["GET", "HEAD"]),
        ]
    )
