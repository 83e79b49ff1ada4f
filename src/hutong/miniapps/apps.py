"""Developers and their apps: registration, creation, the app secret, domains, testers, and
what everyone else sees (the directory, an app's page, my recently used apps).

The icon is an uploaded image kept in the media store like an avatar: the table holds the id
of a thumbnail that fits a square, and `icon_url` points at it.

The app secret is shown once (on creation and on rotation) and never stored: the table keeps
two SHA-256 digests derived from it (`service.secret_keys`), one to authenticate the
developer's backend, one to sign webhooks. A fast hash is safe here because the secret is 256
random bits, not a password. Rotating replaces both at once: the old secret stops working.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from hutong.core.content import ContentKind
from hutong.core.errors import Conflict, NotFound
from hutong.miniapps.errors import AlreadyDeveloper, BadAppCredentials, NotADeveloper
from hutong.miniapps.models import Developer, MiniApp, MiniAppTester, MiniAppUser, MiniAppVersion
from hutong.miniapps.schemas import (
    AppCreated,
    AppIn,
    AppOut,
    AppPatch,
    AppPublic,
    DeveloperIn,
    DeveloperOut,
    SecretOut,
)
from hutong.miniapps.service import new_secret, secret_keys
from hutong.wallet.schemas import MerchantIn

if TYPE_CHECKING:
    from hutong.miniapps.service import MiniApps

ICON_SIDE = 256  # pixels: the stored icon fits a square this wide


class Apps:
    def __init__(self, svc: MiniApps) -> None:
        self.svc = svc

    async def _screen(self, kind: ContentKind, text: str, author_id: int, field: str) -> str:
        if not text:
            return text
        verdict = await self.svc.content.check(kind, text, author_id=author_id)
        return verdict.publishable(field)

    # -- developers ----------------------------------------------------------------------

    async def register_developer(self, user_id: int, body: DeveloperIn) -> DeveloperOut:
        """Become a developer; a merchant account named `name` is opened in the wallet to
        receive the apps' payments."""
        if await self._developer(user_id) is not None:
            raise AlreadyDeveloper("You are already registered as a developer.")
        name = await self._screen("miniapp_name", body.name, user_id, "name")
        merchant = await self.svc.wallet.merchants.open(
            user_id, MerchantIn(name=name, kind="organisation"), ""
        )
        try:
            async with self.svc.db.write() as uow:
                dev = Developer(
                    user_id=user_id,
                    name=name,
                    merchant_id=merchant.id,
                    created_at=self.svc.clock.now(),
                )
                uow.session.add(dev)
        except IntegrityError:
            raise AlreadyDeveloper("You are already registered as a developer.") from None
        return _developer_out(dev)

    async def developer(self, user_id: int) -> DeveloperOut:
        dev = await self._developer(user_id)
        if dev is None:
            raise NotADeveloper("Register as a developer first.")
        return _developer_out(dev)

    async def _developer(self, user_id: int) -> Developer | None:
        async with self.svc.db.read() as s:
            return await s.get(Developer, user_id)

    # -- apps ----------------------------------------------------------------------------

    async def create(self, user_id: int, body: AppIn) -> AppCreated:
        await self.developer(user_id)
        async with self.svc.db.read() as s:
            n = await s.scalar(
                select(func.count()).select_from(MiniApp).where(MiniApp.developer_id == user_id)
            )
        if int(n or 0) >= self.svc.policy.apps_per_developer:
            raise Conflict("You have created as many mini-programs as allowed.")
        name = await self._screen("miniapp_name", body.name, user_id, "name")
        description = await self._screen(
            "miniapp_description", body.description, user_id, "description"
        )
        secret = new_secret()
        auth, hook = secret_keys(secret)
        now = self.svc.clock.now()
        async with self.svc.db.write() as uow:
            app = MiniApp(
                appid="ht" + secrets.token_hex(8),
                developer_id=user_id,
                name=name,
                description=description,
                category=body.category,
                secret_hash=auth,
                webhook_key=hook,
                secret_rotated_at=now,
                domains=sorted(set(body.domains)),
                released_version_id=None,
                created_at=now,
            )
            uow.session.add(app)
        out = await self._out(app)
        return AppCreated(**out.model_dump(), secret=secret)

    async def owned(self, user_id: int, appid: str) -> MiniApp:
        """The app if `user_id` developed it; 404 otherwise, so appids reveal nothing."""
        app = await self.by_appid(appid)
        if app is None or app.developer_id != user_id:
            raise NotFound("No such mini-program of yours.")
        return app

    async def by_appid(self, appid: str) -> MiniApp | None:
        async with self.svc.db.read() as s:
            return await s.scalar(select(MiniApp).where(MiniApp.appid == appid))

    async def mine(self, user_id: int) -> list[AppOut]:
        async with self.svc.db.read() as s:
            rows = (
                await s.scalars(
                    select(MiniApp).where(MiniApp.developer_id == user_id).order_by(MiniApp.id)
                )
            ).all()
        return [await self._out(a) for a in rows]

    async def get(self, user_id: int, appid: str) -> AppOut:
        return await self._out(await self.owned(user_id, appid))

    async def update(self, user_id: int, appid: str, body: AppPatch) -> AppOut:
        app = await self.owned(user_id, appid)
        description = (
            await self._screen("miniapp_description", body.description, user_id, "description")
            if body.description is not None
            else None
        )
        async with self.svc.db.write() as uow:
            row = await uow.session.get(MiniApp, app.id, with_for_update=True)
            assert row is not None
            if description is not None:
                row.description = description
            if body.category is not None:
                row.category = body.category
            if body.domains is not None:
                row.domains = sorted(set(body.domains))
        return await self._out(row)

    async def set_icon(self, user_id: int, appid: str, data: bytes, max_bytes: int) -> AppOut:
        """The app's icon from an uploaded JPEG, PNG, GIF or WebP image (stored as a
        thumbnail); a file that is too large or not an image changes nothing."""
        app = await self.owned(user_id, appid)
        stored = await self.svc.media.put_image(data, max_bytes=max_bytes, thumb_side=ICON_SIDE)
        return await self._set_icon(app, stored.thumb_id)

    async def remove_icon(self, user_id: int, appid: str) -> AppOut:
        """Back to the drawn icon (the name's initial on the category's colour)."""
        return await self._set_icon(await self.owned(user_id, appid), None)

    async def _set_icon(self, app: MiniApp, icon_id: str | None) -> AppOut:
        async with self.svc.db.write() as uow:
            row = await uow.session.get(MiniApp, app.id, with_for_update=True)
            assert row is not None
            row.icon_id = icon_id
        return await self._out(row)

    async def rotate_secret(self, user_id: int, appid: str) -> SecretOut:
        """A new secret; the old one stops working at once (and so do its webhook keys)."""
        app = await self.owned(user_id, appid)
        secret = new_secret()
        auth, hook = secret_keys(secret)
        now = self.svc.clock.now()
        async with self.svc.db.write() as uow:
            row = await uow.session.get(MiniApp, app.id, with_for_update=True)
            assert row is not None
            row.secret_hash, row.webhook_key, row.secret_rotated_at = auth, hook, now
        return SecretOut(appid=appid, secret=secret, secret_rotated_at=now)

    async def authenticate(self, appid: str, secret: str) -> MiniApp:
        """The app whose backend presents `appid` and `secret`; 401 otherwise."""
        app = await self.by_appid(appid) if appid else None
        auth, _ = secret_keys(secret)
        stored = app.secret_hash if app is not None else "0" * 64
        if not hmac.compare_digest(stored, auth) or app is None:
            raise BadAppCredentials("Wrong appid or app secret.")
        return app

    # -- testers -------------------------------------------------------------------------

    async def add_tester(self, user_id: int, appid: str, tester_id: int) -> AppOut:
        app = await self.owned(user_id, appid)
        if not await self.svc.accounts.public_profiles([tester_id]):
            raise NotFound("No such user.", fields={"user_id": "unknown"})
        try:
            async with self.svc.db.write() as uow:
                found = await uow.session.get(MiniAppTester, (app.id, tester_id))
                if found is None:
                    uow.session.add(
                        MiniAppTester(
                            app_id=app.id, user_id=tester_id, created_at=self.svc.clock.now()
                        )
                    )
        except IntegrityError:
            pass  # added concurrently: the same outcome
        return await self._out(app)

    async def remove_tester(self, user_id: int, appid: str, tester_id: int) -> AppOut:
        app = await self.owned(user_id, appid)
        async with self.svc.db.write() as uow:
            await uow.session.execute(
                delete(MiniAppTester).where(
                    MiniAppTester.app_id == app.id, MiniAppTester.user_id == tester_id
                )
            )
        return await self._out(app)

    async def is_tester(self, app_id: int, user_id: int) -> bool:
        async with self.svc.db.read() as s:
            return await s.get(MiniAppTester, (app_id, user_id)) is not None

    # -- what everyone sees --------------------------------------------------------------

    async def public(self, appid: str) -> AppPublic:
        """A released app's page: its developer and the permissions it asks for."""
        app = await self.by_appid(appid)
        if app is None or app.released_version_id is None:
            raise NotFound("No such mini-program.")
        return (await self._publics([app]))[0]

    async def directory(
        self, *, q: str = "", category: str | None = None, limit: int = 50
    ) -> list[AppPublic]:
        stmt = select(MiniApp).where(MiniApp.released_version_id.is_not(None))
        if category:
            stmt = stmt.where(MiniApp.category == category)
        if q:
            like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(
                or_(
                    MiniApp.name.ilike(like, escape="\\"),
                    MiniApp.description.ilike(like, escape="\\"),
                )
            )
        async with self.svc.db.read() as s:
            rows = (await s.scalars(stmt.order_by(MiniApp.name, MiniApp.id).limit(limit))).all()
        return await self._publics(list(rows))

    async def recent(self, user_id: int, *, limit: int = 20) -> list[AppPublic]:
        """Released apps the user opened, most recent first."""
        async with self.svc.db.read() as s:
            rows = (
                await s.scalars(
                    select(MiniApp)
                    .join(MiniAppUser, MiniAppUser.app_id == MiniApp.id)
                    .where(MiniAppUser.user_id == user_id, MiniApp.released_version_id.is_not(None))
                    .order_by(MiniAppUser.last_used_at.desc())
                    .limit(limit)
                )
            ).all()
        return await self._publics(list(rows))

    async def publics(self, apps: list[MiniApp]) -> list[AppPublic]:
        """Directory entries of the released ones among `apps`, in their order."""
        return await self._publics([a for a in apps if a.released_version_id is not None])

    async def _publics(self, apps: list[MiniApp]) -> list[AppPublic]:
        if not apps:
            return []
        version_ids = [a.released_version_id for a in apps if a.released_version_id]
        async with self.svc.db.read() as s:
            versions = {
                v.id: v
                for v in (
                    await s.scalars(
                        select(MiniAppVersion).where(MiniAppVersion.id.in_(version_ids))
                    )
                ).all()
            }
            devs = {
                d.user_id: d
                for d in (
                    await s.scalars(
                        select(Developer).where(
                            Developer.user_id.in_({a.developer_id for a in apps})
                        )
                    )
                ).all()
            }
        out = []
        for a in apps:
            v = versions.get(a.released_version_id or 0)
            dev = devs.get(a.developer_id)
            out.append(
                AppPublic(
                    appid=a.appid,
                    name=a.name,
                    description=a.description,
                    category=a.category,
                    icon_url=icon_url(a),
                    developer_id=a.developer_id,
                    developer_name=dev.name if dev else "",
                    permissions=list(v.manifest.get("permissions", [])) if v else [],
                    released_version=v.version if v else None,
                )
            )
        return out

    async def _out(self, app: MiniApp) -> AppOut:
        (pub,) = await self._publics([app])
        async with self.svc.db.read() as s:
            testers = (
                await s.scalars(
                    select(MiniAppTester.user_id)
                    .where(MiniAppTester.app_id == app.id)
                    .order_by(MiniAppTester.user_id)
                )
            ).all()
        return AppOut(
            **pub.model_dump(),
            domains=list(app.domains),
            testers=list(testers),
            rollout_percent=app.rollout_percent,
            secret_rotated_at=app.secret_rotated_at,
            created_at=app.created_at,
        )


def icon_url(app: MiniApp) -> str | None:
    return f"/media/{app.icon_id}" if app.icon_id else None


def _developer_out(dev: Developer) -> DeveloperOut:
    return DeveloperOut(
        user_id=dev.user_id, name=dev.name, merchant_id=dev.merchant_id, created_at=dev.created_at
    )
