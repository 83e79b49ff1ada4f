"""HTTP for what the host client does for a running app (see `host.py`), for signed-in users:

GET    /miniapps/apps/{appid}/profile          my profile for the app, if I agreed (else 403
                                               `miniapp-consent-required`)
POST   /miniapps/apps/{appid}/profile          I agree (remembered); my profile
GET    /miniapps/grants                        what I allowed which apps (settings)
DELETE /miniapps/grants/{appid}                revoke; the app must ask again
POST   /miniapps/apps/{appid}/share            post an app card {chat_id, title, path}
GET    /miniapps/apps/{appid}/qr?path=…        a lasting QR code that opens the app at path
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from starlette.requests import HTTPConnection

from hutong.core.auth import Principal, require_principal
from hutong.miniapps.host import (
    AppQrOut,
    GrantOut,
    MiniAppHost,
    ProfileOut,
    ShareIn,
    ShareOut,
)

router = APIRouter(tags=["mini-programs"])
CurrentUser = Annotated[Principal, Depends(require_principal)]
AppId = Annotated[str, Path(pattern=r"^ht[0-9a-f]{16}$")]


async def _host(conn: HTTPConnection) -> MiniAppHost:
    host: MiniAppHost = conn.app.state.miniapp_host
    return host


Host = Annotated[MiniAppHost, Depends(_host)]


@router.get("/miniapps/apps/{appid}/profile", response_model=ProfileOut)
async def profile(appid: AppId, principal: CurrentUser, host: Host) -> ProfileOut:
    return await host.profile(principal.user_id, appid)


@router.post("/miniapps/apps/{appid}/profile", response_model=ProfileOut)
async def consent(appid: AppId, principal: CurrentUser, host: Host) -> ProfileOut:
    return await host.profile(principal.user_id, appid, consent=True)


@router.get("/miniapps/grants", response_model=list[GrantOut])
async def grants(principal: CurrentUser, host: Host) -> list[GrantOut]:
    return await host.grants(principal.user_id)


@router.delete("/miniapps/grants/{appid}", status_code=204)
async def revoke(appid: AppId, principal: CurrentUser, host: Host) -> Response:
    await host.revoke(principal.user_id, appid)
    return Response(status_code=204)


@router.post("/miniapps/apps/{appid}/share", response_model=ShareOut)
async def share(appid: AppId, body: ShareIn, principal: CurrentUser, host: Host) -> ShareOut:
    return await host.share(principal.user_id, appid, body)


@router.get("/miniapps/apps/{appid}/qr", response_model=AppQrOut)
async def qr(
    appid: AppId,
    _: CurrentUser,
    host: Host,
    path: Annotated[str, Query(max_length=520)] = "",
) -> AppQrOut:
    return await host.qr_code(appid, path)
