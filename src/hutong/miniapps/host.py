"""What the host (Hutong's own client) does for a running app, on the user's behalf.

The app never holds the user's session: its SDK asks the host over `postMessage`, and the host
calls these operations with the user's own credentials.

* **Profile consent.** `getUserProfile()` answers only after the user agreed, once per app;
  the grant is remembered (`miniapp_grants`) until the user revokes it in settings. Only an
  app whose released manifest asks for `userInfo` may ask at all.
* **App cards.** `shareToChat()` posts a `miniapp_card` message (app, title, path, image) into
  a chat the user picked, checked like any message of theirs: active member, friends in a
  direct chat, not muted; the title passes the content policy. The image is a picture of the
  app's released bundle (so a moderator has seen it), never a URL the server would fetch: it
  is copied into the media store as a thumbnail, and the card shows that.
* **QR codes** that open an app at a path: `/qr/<token>` of kind `app`, resolved to the app's
  public page and the path.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from hutong.chat import ChatDeps, ChatService, append, get_chat, require_active
from hutong.core.auth import Principal
from hutong.core.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    UnsupportedMedia,
)
from hutong.core.media import StoredImage
from hutong.core.qrcodes import QrRegistry
from hutong.core.signing import SignedToken
from hutong.miniapps.apps import icon_url
from hutong.miniapps.models import MiniApp, MiniAppGrant, MiniAppVersion
from hutong.miniapps.schemas import AppPublic

if TYPE_CHECKING:
    from hutong.miniapps.service import MiniApps

CARD_KIND = "miniapp_card"
PROFILE = "userInfo"
# An app path: a page of the bundle with an optional query, never a scheme or a way up.
PAGE_PATH = r"^[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}(\?[A-Za-z0-9._~%&=+-]{0,300})?$"

AppPath = Annotated[str, StringConstraints(pattern=PAGE_PATH)]
# A file of the bundle (a card's picture): a relative name, no query.
FilePath = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}$")]
CARD_IMAGE_MAX = 2 * 1024 * 1024
CARD_IMAGE_SIDE = 480


class ConsentRequired(Forbidden):
    code = "miniapp-consent-required"
    title = "Ask the user first"


class PermissionNotDeclared(Forbidden):
    code = "miniapp-permission-not-declared"
    title = "The app's manifest does not ask for this"


class ProfileOut(BaseModel):
    nickname: str
    avatar_url: str | None


class GrantOut(BaseModel):
    app: AppPublic
    scope: str
    granted_at: dt.datetime


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chat_id: int
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    path: AppPath
    image_url: FilePath | None = None  # a PNG, JPEG, GIF or WebP file of the bundle


class ShareOut(BaseModel):
    chat_id: int
    seq: int


class AppQrOut(BaseModel):
    token: str
    url: str
    path: str


def _check_path(path: str, pages: list[str]) -> str:
    page = path.split("?", 1)[0]
    if ".." in page.split("/") or page not in pages:
        raise InvalidInput("That is not a page of this app.", fields={"path": "unknown-page"})
    return path


class MiniAppHost:
    def __init__(
        self,
        svc: MiniApps,
        chat_deps: ChatDeps,
        chats: ChatService,
        qr: QrRegistry,
        public_url: str,
    ) -> None:
        self.svc = svc
        self.chat_deps = chat_deps
        self.chats = chats
        self.qr = qr
        self.public_url = public_url.rstrip("/")
        qr.register("app", self.resolve_qr)

    async def _released(self, appid: str) -> tuple[MiniApp, MiniAppVersion]:
        app = await self.svc.apps.by_appid(appid)
        if app is None or app.released_version_id is None:
            raise NotFound("No such mini-program.")
        async with self.svc.db.read() as s:
            version = await s.get(MiniAppVersion, app.released_version_id)
        assert version is not None
        return app, version

    # -- profile consent -----------------------------------------------------------------

    async def profile(self, user_id: int, appid: str, *, consent: bool = False) -> ProfileOut:
        """The user's nickname and avatar for the app: with `consent`, the user just agreed
        (remembered); without, only if they agreed before."""
        app, version = await self._released(appid)
        if PROFILE not in version.manifest.get("permissions", []):
            raise PermissionNotDeclared("This mini-program did not ask for your profile.")
        if consent:
            insert = sqlite.insert if self.svc.db.is_sqlite else postgresql.insert
            async with self.svc.db.write() as uow:  # a second consent (or a racing one) is moot
                await uow.session.execute(
                    insert(MiniAppGrant)
                    .values(
                        user_id=user_id,
                        app_id=app.id,
                        scope=PROFILE,
                        granted_at=self.svc.clock.now(),
                    )
                    .on_conflict_do_nothing()
                )
        else:
            async with self.svc.db.read() as s:
                if await s.get(MiniAppGrant, (user_id, app.id, PROFILE)) is None:
                    raise ConsentRequired("The user has not agreed to share their profile.")
        me = (await self.svc.accounts.public_profiles([user_id]))[user_id]
        return ProfileOut(nickname=me.display_name, avatar_url=me.avatar_url)

    async def grants(self, user_id: int) -> list[GrantOut]:
        """What the user has allowed which apps, newest first (settings)."""
        async with self.svc.db.read() as s:
            rows = (
                await s.execute(
                    select(MiniAppGrant, MiniApp)
                    .join(MiniApp, MiniApp.id == MiniAppGrant.app_id)
                    .where(MiniAppGrant.user_id == user_id)
                    .order_by(MiniAppGrant.granted_at.desc())
                )
            ).all()
        publics = {p.appid: p for p in await self.svc.apps.publics([a for _, a in rows])}
        return [
            GrantOut(app=publics[a.appid], scope=g.scope, granted_at=g.granted_at)
            for g, a in rows
            if a.appid in publics
        ]

    async def revoke(self, user_id: int, appid: str) -> None:
        """Forget every consent the user gave the app; it must ask again."""
        app = await self.svc.apps.by_appid(appid)
        if app is None:
            raise NotFound("No such mini-program.")
        async with self.svc.db.write() as uow:
            await uow.session.execute(
                delete(MiniAppGrant).where(
                    MiniAppGrant.user_id == user_id, MiniAppGrant.app_id == app.id
                )
            )

    # -- app cards -----------------------------------------------------------------------

    async def share(self, user_id: int, appid: str, body: ShareIn) -> ShareOut:
        """Post a card that opens the app at `body.path` into one of the user's chats."""
        app, version = await self._released(appid)
        path = _check_path(body.path, list(version.manifest["pages"]))
        verdict = await self.svc.content.check("message", body.title, author_id=user_id)
        title = verdict.publishable("title")
        card: dict[str, Any] = {
            "appid": app.appid,
            "app_name": app.name,
            "category": app.category,
            "icon_url": icon_url(app),
            "title": title,
            "path": path,
            "image_url": await self._card_image(version, body.image_url),
        }
        async with self.svc.db.write() as uow:
            s = uow.session
            member = await require_active(s, body.chat_id, user_id)
            chat = await get_chat(s, body.chat_id)
            await self.chats.check_may_send(s, chat, member)
            msg = await append(
                self.chat_deps, uow, body.chat_id, sender_id=user_id, kind=CARD_KIND, body=card
            )
        return ShareOut(chat_id=msg.chat_id, seq=msg.seq)

    async def _card_image(self, version: MiniAppVersion, name: str | None) -> str | None:
        """The media URL of a card's picture: the bundle's file `name`, as a thumbnail."""
        if not name:
            return None
        try:
            path = self.svc.versions.version_file(version.id, name)
        except NotFound:
            raise InvalidInput(
                "The card's image must be a file of the app.", fields={"image_url": "unknown-file"}
            ) from None

        def store() -> StoredImage:  # read and thumbnail in one trip to a thread
            with path.open("rb") as f:
                data = f.read(CARD_IMAGE_MAX + 1)
            return self.svc.media.put_image_sync(
                data, max_bytes=CARD_IMAGE_MAX, thumb_side=CARD_IMAGE_SIDE
            )

        try:
            stored = await anyio.to_thread.run_sync(store)
        except (UnsupportedMedia, PayloadTooLarge) as exc:
            raise InvalidInput(
                "The card's image must be a PNG, JPEG, GIF or WebP picture of at most "
                f"{CARD_IMAGE_MAX // (1024 * 1024)} MB.",
                fields={"image_url": "not-an-image"},
            ) from exc
        return f"/media/{stored.thumb_id}"

    # -- QR codes ------------------------------------------------------------------------

    async def qr_code(self, appid: str, path: str) -> AppQrOut:
        """A lasting code that opens the released app at `path` (a page of the app; its first
        page when empty)."""
        _, version = await self._released(appid)
        pages = list(version.manifest["pages"])
        path = path or pages[0]
        if not re.fullmatch(PAGE_PATH, path):
            raise InvalidInput("That is not a page of this app.", fields={"path": "format"})
        _check_path(path, pages)
        token = self.svc.signer.sign("app", f"{appid}|{path}")
        return AppQrOut(token=token, url=f"{self.public_url}/qr/{token}", path=path)

    async def resolve_qr(self, token: SignedToken, principal: Principal | None) -> dict[str, Any]:
        appid, _, path = token.ident.partition("|")
        app = await self.svc.apps.public(appid)
        return {
            "action": "open_app" if principal else "sign_in",
            "app": app.model_dump(),
            "path": path,
        }
