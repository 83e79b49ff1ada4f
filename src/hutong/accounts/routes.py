"""Accounts HTTP API. Routes parse, authorise, call one service function, shape the answer."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, Response, UploadFile
from starlette.requests import HTTPConnection

from hutong.accounts.qrlogin import QrLoginService
from hutong.accounts.schemas import (
    AuthOut,
    LoginIn,
    Me,
    PasswordIn,
    ProfileIn,
    PublicUser,
    QrCompleteIn,
    QrStartOut,
    RegisterIn,
    RoleIn,
    SessionOut,
    VerificationIn,
)
from hutong.accounts.service import AccountService, NewSession
from hutong.accounts.sessions import CSRF_COOKIE, SESSION_COOKIE, SessionAuthenticator
from hutong.core.auth import Principal, require_principal
from hutong.core.errors import Unauthenticated

router = APIRouter(tags=["accounts"])
CurrentUser = Annotated[Principal, Depends(require_principal)]


async def accounts(conn: HTTPConnection) -> AccountService:
    svc: AccountService = conn.app.state.accounts
    return svc


async def qrlogins(conn: HTTPConnection) -> QrLoginService:
    svc: QrLoginService = conn.app.state.qrlogin
    return svc


async def authenticator(conn: HTTPConnection) -> SessionAuthenticator:
    auth: SessionAuthenticator = conn.app.state.authenticator
    return auth


Accounts = Annotated[AccountService, Depends(accounts)]
QrLogins = Annotated[QrLoginService, Depends(qrlogins)]
Auth = Annotated[SessionAuthenticator, Depends(authenticator)]

_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_from(request: Request, given: str | None = None) -> str:
    if given:
        return given
    ua = request.headers.get("user-agent", "")
    browser = next((name for key, name in _BROWSERS if key in ua), "")
    system = next((name for key, name in _SYSTEMS if key in ua), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or re.sub(r"[^\w ./-]", "", ua)[:40] or "Unknown device"


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _set_cookies(
    request: Request,
    response: Response,
    new: NewSession,
    auth: SessionAuthenticator,
) -> str:
    secure: bool = request.app.state.settings.cookie_secure
    csrf = auth.csrf_for(new.token_hash)
    max_age = 60 * 60 * 24 * 90
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        max_age=max_age,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=max_age, httponly=False, secure=secure, samesite="lax", path="/"
    )
    return csrf


@router.post("/auth/register", response_model=AuthOut, status_code=201)
async def register(
    body: RegisterIn, request: Request, response: Response, svc: Accounts, auth: Auth
) -> AuthOut:
    """Create an account and sign this browser in (cookie session)."""
    new = await svc.register(
        body.handle,
        body.password,
        body.display_name,
        device_name=device_from(request, body.device_name),
        ip=client_ip(request),
    )
    csrf = _set_cookies(request, response, new, auth)
    return AuthOut(user=new.me, csrf_token=csrf, session_id=new.session_id)


@router.post("/auth/login", response_model=AuthOut)
async def login(
    body: LoginIn, request: Request, response: Response, svc: Accounts, auth: Auth
) -> AuthOut:
    """Sign this browser in with handle and password (cookie session)."""
    new = await svc.login(
        body.handle,
        body.password,
        kind="web",
        device_name=device_from(request, body.device_name),
        ip=client_ip(request),
    )
    csrf = _set_cookies(request, response, new, auth)
    return AuthOut(user=new.me, csrf_token=csrf, session_id=new.session_id)


@router.post("/auth/token", response_model=AuthOut)
async def token(body: LoginIn, request: Request, svc: Accounts) -> AuthOut:
    """Sign an API client in; answers a bearer token for the `Authorization` header."""
    new = await svc.login(
        body.handle,
        body.password,
        kind="api",
        device_name=device_from(request, body.device_name),
        ip=client_ip(request),
    )
    return AuthOut(user=new.me, token=new.token, session_id=new.session_id)


@router.post("/auth/logout", status_code=204)
async def logout(principal: CurrentUser, svc: Accounts, response: Response) -> Response:
    await svc.revoke_session(principal.user_id, principal.session_id)
    response.status_code = 204
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/me", response_model=Me)
async def me(request: Request) -> Response:
    """The signed-in user's own profile (served from the session cache, pre-serialised)."""
    auth: SessionAuthenticator = request.app.state.authenticator
    entry = await auth.lookup(request)
    if entry is None:
        raise Unauthenticated("Sign in to continue.")
    return Response(entry.me_json or entry.me.model_dump_json(), media_type="application/json")


@router.patch("/me", response_model=Me)
async def update_me(body: ProfileIn, principal: CurrentUser, svc: Accounts) -> Me:
    return await svc.update_profile(principal.user_id, body)


@router.put("/me/avatar", response_model=Me)
async def upload_avatar(
    request: Request, principal: CurrentUser, svc: Accounts, file: Annotated[UploadFile, File()]
) -> Me:
    """Upload a JPEG, PNG, GIF or WebP avatar; a square-fitting thumbnail is made."""
    settings = request.app.state.settings
    data = await file.read(settings.avatar_max_bytes + 1)
    return await svc.set_avatar(
        principal.user_id, data, max_bytes=settings.avatar_max_bytes, thumb=settings.thumb_side
    )


@router.post("/me/password", status_code=204)
async def change_password(body: PasswordIn, principal: CurrentUser, svc: Accounts) -> Response:
    """Change the password; every other device is signed out."""
    await svc.change_password(
        principal.user_id, principal.session_id, body.old_password, body.new_password
    )
    return Response(status_code=204)


@router.get("/me/sessions", response_model=list[SessionOut])
async def sessions(principal: CurrentUser, svc: Accounts) -> list[SessionOut]:
    """Devices signed in to this account, most recently active first."""
    return await svc.list_sessions(principal.user_id, principal.session_id)


@router.delete("/me/sessions/{session_id}", status_code=204)
async def revoke(session_id: int, principal: CurrentUser, svc: Accounts) -> Response:
    """Sign a device out; its open socket is closed at once."""
    await svc.revoke_session(principal.user_id, session_id)
    return Response(status_code=204)


@router.get("/users/{handle}", response_model=PublicUser)
async def profile(handle: str, principal: CurrentUser, svc: Accounts) -> PublicUser:
    return await svc.public_profile(handle, viewer_id=principal.user_id)


@router.post("/admin/users/{user_id}/role", response_model=Me)
async def set_role(user_id: int, body: RoleIn, principal: CurrentUser, svc: Accounts) -> Me:
    """Admins make moderators (and other admins)."""
    return await svc.set_role(principal.role, user_id, body.role)


@router.post("/admin/users/{user_id}/verification", response_model=Me)
async def set_verification(
    user_id: int, body: VerificationIn, principal: CurrentUser, svc: Accounts
) -> Me:
    """Grant or remove a personal (orange V) or organisation (blue V) badge."""
    return await svc.set_verification(principal.role, user_id, body.kind, body.reason)


# -- desktop QR login -------------------------------------------------------------------


@router.post("/auth/qr", response_model=QrStartOut, status_code=201)
async def qr_start(request: Request, svc: QrLogins) -> QrStartOut:
    """Start a desktop QR login: show `svg_url`, open `/ws/ticket?ticket=…`, keep `secret`."""
    started = await svc.start(device_from(request), client_ip(request))
    base = str(request.base_url).rstrip("/")
    token_ = started["token"]
    return QrStartOut(
        id=started["id"],
        secret=started["secret"],
        token=token_,
        ticket=started["ticket"],
        url=f"{base}/qr/{token_}",
        svg_url=f"/qr/{token_}.svg",
        png_url=f"/qr/{token_}.png",
        expires_at=started["expires_at"],
    )


@router.post("/auth/qr/{login_id}/confirm", status_code=204)
async def qr_confirm(login_id: str, principal: CurrentUser, svc: QrLogins) -> Response:
    """The scanning device approves: the waiting desktop is signed in as this user."""
    await svc.decide(login_id, principal, approve=True)
    return Response(status_code=204)


@router.post("/auth/qr/{login_id}/deny", status_code=204)
async def qr_deny(login_id: str, principal: CurrentUser, svc: QrLogins) -> Response:
    await svc.decide(login_id, principal, approve=False)
    return Response(status_code=204)


@router.post("/auth/qr/complete", response_model=AuthOut)
async def qr_complete(
    body: QrCompleteIn, request: Request, response: Response, svc: QrLogins, auth: Auth
) -> AuthOut:
    """The desktop, told "confirmed" over its socket, trades its secret for a session."""
    new = await svc.complete(body.id, body.secret)
    csrf = _set_cookies(request, response, new, auth)
    return AuthOut(user=new.me, csrf_token=csrf, session_id=new.session_id)
