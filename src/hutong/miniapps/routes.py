"""Mini-program HTTP API.

For signed-in users (session or bearer):

    GET    /miniapps[?q=…&category=…]                    the directory of released apps
    GET    /miniapps/recent                              apps I opened, most recent first
    GET    /miniapps/apps/{appid}                        an app's page: developer, permissions
    POST   /miniapps/apps/{appid}/launch[?version_id=…]  a signed URL on the mini-program origin
    POST   /miniapps/apps/{appid}/login                  the SDK's login(): a one-time code
    GET    /miniapps/orders/{prepay_id}                  the host's pay sheet for my order
    POST   /miniapps/orders/{prepay_id}/pay         P    pay it (`pin`)
    GET    /miniapps/platform-key                        the webhook signing key (no sign-in)

(What the host does for a running app — consent, app cards, app QR codes — is in
`host_routes.py`.)

Developer console (the app's developer only; anyone else gets 404):

    GET|POST /miniapps/developer                         register (opens a merchant account)
    GET|POST /miniapps/console/apps                      my apps; create (the secret, once)
    GET|PATCH /miniapps/console/apps/{appid}
    POST   /miniapps/console/apps/{appid}/secret         rotate (the new secret, once)
    PUT|DELETE /miniapps/console/apps/{appid}/icon       multipart `file` (JPEG, PNG, GIF, WebP)
    PUT|DELETE /miniapps/console/apps/{appid}/testers/{user_id}
    GET    /miniapps/console/apps/{appid}/versions
    POST   /miniapps/console/apps/{appid}/versions?version=1.0.0[&note=…]   body: the zip
    POST   /miniapps/console/apps/{appid}/versions/{id}/trial|submit|release[?percent=…]
    POST   /miniapps/console/apps/{appid}/rollout        {percent}: widen a gradual release
    POST   /miniapps/console/apps/{appid}/rollback
    GET    /miniapps/console/apps/{appid}/stats           users, orders, money, webhooks

Moderators: `GET /miniapps/review` (versions waiting), `GET /miniapps/review/apps` (their
apps and developers), `POST /miniapps/review/{id}/approve`, `POST /miniapps/review/{id}/reject`
(`reason`); they may also launch a version under review (`launch?version_id=…`).

The developer's backend, with HTTP Basic `appid:secret`:

    POST   /miniapps/api/sessions                        {code} → openid, unionid, session_key
    POST   /miniapps/api/orders                          idempotent by out_trade_no
    GET    /miniapps/api/orders/{out_trade_no}
    POST   /miniapps/api/orders/{out_trade_no}/refunds   idempotent by out_refund_no

Problem types: `miniapp-bad-bundle` (with `reason`: bad-path, symlink, file-type, duplicate,
manifest, not-a-zip, corrupt, encrypted, too-many), `miniapp-bundle-too-large` (413; reason
too-large or zip-bomb), `miniapp-not-a-developer`, `miniapp-already-developer`,
`miniapp-wrong-status`, `miniapp-bad-credentials` (401), `miniapp-bad-login-code`,
`miniapp-domain-not-allowed`, `miniapp-order-number-reused`, `miniapp-order-already-paid`,
`miniapp-order-not-paid`, plus the wallet's for paying and refunding (`wrong-pin`,
`insufficient-funds`, `refund-exceeds-payment`, `idempotency-key-reused`…) and the platform's.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from starlette.requests import HTTPConnection

from hutong.core.auth import Principal, require_principal
from hutong.core.errors import Forbidden
from hutong.miniapps import stats
from hutong.miniapps.errors import BadAppCredentials, BundleTooLarge
from hutong.miniapps.models import MiniApp
from hutong.miniapps.schemas import (
    MAX_ID,
    AppCreated,
    AppIn,
    AppOut,
    AppPatch,
    AppPublic,
    Category,
    DeveloperIn,
    DeveloperOut,
    LaunchOut,
    LoginCodeOut,
    OrderIn,
    OrderOut,
    PayOrderIn,
    RefundIn,
    RefundOut,
    RejectIn,
    RolloutIn,
    SecretOut,
    SessionIn,
    SessionOut,
    UserOrderOut,
    VersionOut,
)
from hutong.miniapps.service import MiniApps

router = APIRouter(tags=["mini-programs"])
CurrentUser = Annotated[Principal, Depends(require_principal)]
AppId = Annotated[str, Path(pattern=r"^ht[0-9a-f]{16}$")]
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
TradeNo = Annotated[str, Path(pattern=r"^[A-Za-z0-9_\-|*@]{1,64}$")]
STAFF = frozenset({"moderator", "admin"})


async def _miniapps(conn: HTTPConnection) -> MiniApps:
    svc: MiniApps = conn.app.state.miniapps
    return svc


Service = Annotated[MiniApps, Depends(_miniapps)]


async def _staff(principal: CurrentUser) -> Principal:
    if principal.role not in STAFF:
        raise Forbidden("Only moderators review mini-programs.")
    return principal


Staff = Annotated[Principal, Depends(_staff)]


async def _backend(conn: HTTPConnection, svc: Service) -> MiniApp:
    """The app whose backend calls, by HTTP Basic `appid:secret`."""
    scheme, _, value = conn.headers.get("authorization", "").partition(" ")
    try:
        appid, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        appid = secret = ""
    if scheme.lower() != "basic" or not appid or not secret:
        raise BadAppCredentials(
            "Authenticate with HTTP Basic appid:secret.",
            headers={"WWW-Authenticate": 'Basic realm="hutong-miniapps"'},
        )
    return await svc.apps.authenticate(appid, secret)


Backend = Annotated[MiniApp, Depends(_backend)]

# -- users ------------------------------------------------------------------------------------


@router.get("/miniapps", response_model=list[AppPublic])
async def directory(
    _: CurrentUser,
    svc: Service,
    q: Annotated[str, Query(max_length=50)] = "",
    category: Category | None = None,
) -> list[AppPublic]:
    return await svc.apps.directory(q=q.strip(), category=category)


@router.get("/miniapps/recent", response_model=list[AppPublic])
async def recent(principal: CurrentUser, svc: Service) -> list[AppPublic]:
    return await svc.apps.recent(principal.user_id)


@router.get("/miniapps/apps/{appid}", response_model=AppPublic)
async def app_page(appid: AppId, _: CurrentUser, svc: Service) -> AppPublic:
    return await svc.apps.public(appid)


@router.post("/miniapps/apps/{appid}/launch", response_model=LaunchOut)
async def launch(
    appid: AppId,
    principal: CurrentUser,
    svc: Service,
    version_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> LaunchOut:
    return await svc.versions.launch(
        principal.user_id, appid, version_id, staff=principal.role in STAFF
    )


@router.post("/miniapps/apps/{appid}/login", response_model=LoginCodeOut)
async def login_code(appid: AppId, principal: CurrentUser, svc: Service) -> LoginCodeOut:
    return await svc.payments.login_code(principal.user_id, appid)


@router.get("/miniapps/orders/{prepay_id}", response_model=UserOrderOut)
async def my_order(
    prepay_id: Annotated[str, Path(max_length=40)], principal: CurrentUser, svc: Service
) -> UserOrderOut:
    return await svc.payments.user_order(principal.user_id, prepay_id)


@router.post("/miniapps/orders/{prepay_id}/pay", response_model=UserOrderOut)
async def pay_order(
    prepay_id: Annotated[str, Path(max_length=40)],
    body: PayOrderIn,
    principal: CurrentUser,
    svc: Service,
) -> UserOrderOut:
    return await svc.payments.pay(principal.user_id, prepay_id, body.pin)


@router.get("/miniapps/platform-key")
async def platform_key(svc: Service) -> dict[str, str]:
    """The platform's Ed25519 public key that signs webhooks (no sign-in needed)."""
    return svc.platform_key.published()


# -- developers ------------------------------------------------------------------------------


@router.get("/miniapps/developer", response_model=DeveloperOut)
async def developer(principal: CurrentUser, svc: Service) -> DeveloperOut:
    return await svc.apps.developer(principal.user_id)


@router.post("/miniapps/developer", response_model=DeveloperOut, status_code=201)
async def register_developer(
    body: DeveloperIn, principal: CurrentUser, svc: Service
) -> DeveloperOut:
    return await svc.apps.register_developer(principal.user_id, body)


@router.get("/miniapps/console/apps", response_model=list[AppOut])
async def my_apps(principal: CurrentUser, svc: Service) -> list[AppOut]:
    return await svc.apps.mine(principal.user_id)


@router.post("/miniapps/console/apps", response_model=AppCreated, status_code=201)
async def create_app(body: AppIn, principal: CurrentUser, svc: Service) -> AppCreated:
    return await svc.apps.create(principal.user_id, body)


@router.get("/miniapps/console/apps/{appid}", response_model=AppOut)
async def my_app(appid: AppId, principal: CurrentUser, svc: Service) -> AppOut:
    return await svc.apps.get(principal.user_id, appid)


@router.patch("/miniapps/console/apps/{appid}", response_model=AppOut)
async def update_app(appid: AppId, body: AppPatch, principal: CurrentUser, svc: Service) -> AppOut:
    return await svc.apps.update(principal.user_id, appid, body)


@router.put("/miniapps/console/apps/{appid}/icon", response_model=AppOut)
async def set_icon(
    appid: AppId,
    request: Request,
    principal: CurrentUser,
    svc: Service,
    file: Annotated[UploadFile, File()],
) -> AppOut:
    """Set the app's icon (JPEG, PNG, GIF or WebP, at most the avatar size limit)."""
    limit: int = request.app.state.settings.avatar_max_bytes
    return await svc.apps.set_icon(principal.user_id, appid, await file.read(limit + 1), limit)


@router.delete("/miniapps/console/apps/{appid}/icon", response_model=AppOut)
async def remove_icon(appid: AppId, principal: CurrentUser, svc: Service) -> AppOut:
    return await svc.apps.remove_icon(principal.user_id, appid)


@router.post("/miniapps/console/apps/{appid}/secret", response_model=SecretOut)
async def rotate_secret(appid: AppId, principal: CurrentUser, svc: Service) -> SecretOut:
    return await svc.apps.rotate_secret(principal.user_id, appid)


@router.put("/miniapps/console/apps/{appid}/testers/{user_id}", response_model=AppOut)
async def add_tester(
    appid: AppId, user_id: ObjectId, principal: CurrentUser, svc: Service
) -> AppOut:
    return await svc.apps.add_tester(principal.user_id, appid, user_id)


@router.delete("/miniapps/console/apps/{appid}/testers/{user_id}", response_model=AppOut)
async def remove_tester(
    appid: AppId, user_id: ObjectId, principal: CurrentUser, svc: Service
) -> AppOut:
    return await svc.apps.remove_tester(principal.user_id, appid, user_id)


@router.get("/miniapps/console/apps/{appid}/versions", response_model=list[VersionOut])
async def versions(appid: AppId, principal: CurrentUser, svc: Service) -> list[VersionOut]:
    return await svc.versions.of_app(principal.user_id, appid)


@router.post("/miniapps/console/apps/{appid}/versions", response_model=VersionOut, status_code=201)
async def upload(
    appid: AppId,
    request: Request,
    principal: CurrentUser,
    svc: Service,
    version: Annotated[str, Query(pattern=r"^\d{1,4}(\.\d{1,4}){0,3}$")],
    note: Annotated[str, Query(max_length=500)] = "",
) -> VersionOut:
    """Upload a bundle (the zip as the request body) as a new version in "develop"."""
    await svc.apps.owned(principal.user_id, appid)  # before reading a stranger's upload
    limit = svc.policy.bundle_max_bytes
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise BundleTooLarge(f"The bundle is larger than {limit} bytes.")
    return await svc.versions.upload(principal.user_id, appid, version, note, bytes(data))


@router.post(
    "/miniapps/console/apps/{appid}/versions/{version_id}/trial", response_model=VersionOut
)
async def to_trial(
    appid: AppId, version_id: ObjectId, principal: CurrentUser, svc: Service
) -> VersionOut:
    return await svc.versions.to_trial(principal.user_id, appid, version_id)


@router.post(
    "/miniapps/console/apps/{appid}/versions/{version_id}/submit", response_model=VersionOut
)
async def submit(
    appid: AppId, version_id: ObjectId, principal: CurrentUser, svc: Service
) -> VersionOut:
    return await svc.versions.submit(principal.user_id, appid, version_id)


@router.post(
    "/miniapps/console/apps/{appid}/versions/{version_id}/release", response_model=VersionOut
)
async def release(
    appid: AppId,
    version_id: ObjectId,
    principal: CurrentUser,
    svc: Service,
    percent: Annotated[int, Query(ge=1, le=100)] = 100,
) -> VersionOut:
    return await svc.versions.release(principal.user_id, appid, version_id, percent=percent)


@router.post("/miniapps/console/apps/{appid}/rollout", response_model=AppOut)
async def rollout(appid: AppId, body: RolloutIn, principal: CurrentUser, svc: Service) -> AppOut:
    """Gradual release: the share of users who get the released version."""
    await svc.versions.rollout(principal.user_id, appid, body.percent)
    return await svc.apps.get(principal.user_id, appid)


@router.post("/miniapps/console/apps/{appid}/rollback", response_model=VersionOut)
async def rollback(appid: AppId, principal: CurrentUser, svc: Service) -> VersionOut:
    return await svc.versions.rollback(principal.user_id, appid)


@router.get("/miniapps/console/apps/{appid}/stats", response_model=stats.AppStatsOut)
async def app_stats(appid: AppId, principal: CurrentUser, svc: Service) -> stats.AppStatsOut:
    """The app's users, paid orders and refunds, and webhooks still pending or failed."""
    return await stats.app_stats(svc, principal.user_id, appid)


@router.get("/miniapps/review/apps", response_model=list[stats.ReviewAppOut])
async def review_apps(_: Staff, svc: Service) -> list[stats.ReviewAppOut]:
    """Name, developer and domains of each app with a version in the review queue."""
    return await stats.review_apps(svc)


# -- moderators --------------------------------------------------------------------------------


@router.get("/miniapps/review", response_model=list[VersionOut])
async def review_queue(_: Staff, svc: Service) -> list[VersionOut]:
    return await svc.versions.queue()


@router.post("/miniapps/review/{version_id}/approve", response_model=VersionOut)
async def approve(version_id: ObjectId, staff: Staff, svc: Service) -> VersionOut:
    return await svc.versions.approve(staff.user_id, version_id)


@router.post("/miniapps/review/{version_id}/reject", response_model=VersionOut)
async def reject(version_id: ObjectId, body: RejectIn, staff: Staff, svc: Service) -> VersionOut:
    return await svc.versions.reject(staff.user_id, version_id, body.reason)


# -- the developer's backend --------------------------------------------------------------------


@router.post("/miniapps/api/sessions", response_model=SessionOut)
async def exchange_code(body: SessionIn, app: Backend, svc: Service) -> SessionOut:
    return await svc.payments.session(app, body.code)


@router.post("/miniapps/api/orders", response_model=OrderOut)
async def create_order(body: OrderIn, app: Backend, svc: Service) -> OrderOut:
    return await svc.payments.create_order(app, body)


@router.get("/miniapps/api/orders/{out_trade_no}", response_model=OrderOut)
async def query_order(out_trade_no: TradeNo, app: Backend, svc: Service) -> OrderOut:
    return await svc.payments.order(app, out_trade_no)


@router.post("/miniapps/api/orders/{out_trade_no}/refunds", response_model=RefundOut)
async def refund(out_trade_no: TradeNo, body: RefundIn, app: Backend, svc: Service) -> RefundOut:
    return await svc.payments.refund(app, out_trade_no, body)
