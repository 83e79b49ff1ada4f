"""Versions of an app: upload, lifecycle, review by a moderator, release, rollback, launch.

    develop ──trial──▶ trial ──submit──▶ submitted ──approve──▶ approved ──release──▶ released
       └──────────submit──────────────────┘      └──reject──▶ rejected ──submit──┘
    released ──(a newer release)──▶ superseded;  released ──rollback──▶ rolled_back, and the
    latest superseded version is released again.

Every transition is a guarded `UPDATE … WHERE status IN (…)` (or made under the app row's
lock), so two moderators, or a developer racing a moderator, cannot both succeed. Who may open
what: the released version, anyone; trial versions, the app's testers and developer; any
other unreleased version, the developer only. Opening gives a signed, expiring URL on the
mini-program origin, so the frame needs (and gets) no session of the user.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hutong.core.errors import Conflict, NotFound
from hutong.miniapps import bundles
from hutong.miniapps.errors import WrongStatus
from hutong.miniapps.models import MiniApp, MiniAppVersion
from hutong.miniapps.schemas import LaunchOut, VersionOut

if TYPE_CHECKING:
    from hutong.miniapps.service import MiniApps

TICKET_TTL = dt.timedelta(hours=12)
V = MiniAppVersion


class Versions:
    def __init__(self, svc: MiniApps) -> None:
        self.svc = svc

    def _dir(self, version_id: int) -> Path:
        return self.svc.bundle_dir / str(version_id)

    # -- upload ----------------------------------------------------------------------------

    async def upload(
        self, user_id: int, appid: str, version: str, note: str, data: bytes
    ) -> VersionOut:
        """Check and store a bundle as a new version in "develop"."""
        app = await self.svc.apps.owned(user_id, appid)
        limits = self.svc.policy.bundle_limits
        checked = await anyio.to_thread.run_sync(bundles.check, data, limits)
        self.svc.bundle_dir.mkdir(parents=True, exist_ok=True)
        staging = self.svc.bundle_dir / f"staging-{secrets.token_hex(8)}"
        await anyio.to_thread.run_sync(bundles.extract, data, checked, staging, limits)
        try:
            async with self.svc.db.write() as uow:
                row = V(
                    app_id=app.id,
                    version=version,
                    status="develop",
                    manifest=checked.manifest,
                    bundle_sha256=hashlib.sha256(data).hexdigest(),
                    size=len(data),
                    unpacked_size=checked.unpacked_size,
                    file_count=len(checked.files),
                    note=note,
                    reject_reason="",
                    created_at=self.svc.clock.now(),
                )
                uow.session.add(row)
                await uow.session.flush()
                staging.rename(self._dir(row.id))
        except IntegrityError:
            raise Conflict(
                f"Version {version} already exists.", fields={"version": "taken"}
            ) from None
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return _out(row, appid)

    async def of_app(self, user_id: int, appid: str) -> list[VersionOut]:
        app = await self.svc.apps.owned(user_id, appid)
        async with self.svc.db.read() as s:
            rows = (await s.scalars(select(V).where(V.app_id == app.id).order_by(V.id))).all()
        return [_out(v, appid) for v in rows]

    # -- lifecycle -------------------------------------------------------------------------

    async def _move(
        self,
        version_id: int,
        app_id: int | None,
        came_from: tuple[str, ...],
        to: str,
        **values: object,
    ) -> MiniAppVersion:
        async with self.svc.db.write() as uow:
            stmt = update(V).where(V.id == version_id, V.status.in_(came_from))
            if app_id is not None:
                stmt = stmt.where(V.app_id == app_id)
            result = await uow.session.execute(stmt.values(status=to, **values))
            row = await uow.session.get(V, version_id, populate_existing=True)
        if row is None or (app_id is not None and row.app_id != app_id):
            raise NotFound("No such version.")
        if not result.rowcount:  # type: ignore[attr-defined]
            raise WrongStatus(
                f"A version that is {row.status} cannot move to {to}.",
                extra={"status": row.status},
            )
        return row

    async def to_trial(self, user_id: int, appid: str, version_id: int) -> VersionOut:
        app = await self.svc.apps.owned(user_id, appid)
        return _out(await self._move(version_id, app.id, ("develop",), "trial"), appid)

    async def submit(self, user_id: int, appid: str, version_id: int) -> VersionOut:
        app = await self.svc.apps.owned(user_id, appid)
        row = await self._move(
            version_id,
            app.id,
            ("develop", "trial", "rejected"),
            "submitted",
            submitted_at=self.svc.clock.now(),
            reject_reason="",
        )
        return _out(row, appid)

    async def release(
        self, user_id: int, appid: str, version_id: int, *, percent: int = 100
    ) -> VersionOut:
        """Make an approved version the one everyone opens — or, gradually, `percent` of
        users (the rest keep the previous release until `rollout` widens it); the previous
        one is kept for rollback."""
        app = await self.svc.apps.owned(user_id, appid)
        now = self.svc.clock.now()
        async with self.svc.db.write() as uow:
            s = uow.session
            locked = await s.get(MiniApp, app.id, with_for_update=True, populate_existing=True)
            assert locked is not None
            row = await s.get(V, version_id, with_for_update=True, populate_existing=True)
            if row is None or row.app_id != app.id:
                raise NotFound("No such version.")
            if row.status != "approved":
                raise WrongStatus(
                    f"Only an approved version can be released; this one is {row.status}.",
                    extra={"status": row.status},
                )
            if locked.released_version_id is not None:
                await s.execute(
                    update(V).where(V.id == locked.released_version_id).values(status="superseded")
                )
            row.status, row.released_at = "released", now
            locked.released_version_id = row.id
            locked.rollout_percent = percent
        return _out(row, appid)

    async def rollout(self, user_id: int, appid: str, percent: int) -> None:
        """Widen (or narrow) the share of users who get the released version."""
        app = await self.svc.apps.owned(user_id, appid)
        async with self.svc.db.write() as uow:
            done = await uow.session.execute(
                update(MiniApp)
                .where(MiniApp.id == app.id, MiniApp.released_version_id.is_not(None))
                .values(rollout_percent=percent)
            )
            if not done.rowcount:  # type: ignore[attr-defined]
                raise WrongStatus("Nothing is released yet.")

    async def rollback(self, user_id: int, appid: str) -> VersionOut:
        """Back to the version released before the current one."""
        app = await self.svc.apps.owned(user_id, appid)
        async with self.svc.db.write() as uow:
            s = uow.session
            locked = await s.get(MiniApp, app.id, with_for_update=True, populate_existing=True)
            assert locked is not None
            current = (
                await s.get(V, locked.released_version_id, populate_existing=True)
                if locked.released_version_id
                else None
            )
            if current is None or current.released_at is None:
                raise WrongStatus("Nothing is released, so there is nothing to roll back.")
            previous = await s.scalar(
                select(V)
                .where(V.app_id == app.id, V.status == "superseded")
                .order_by(V.released_at.desc(), V.id.desc())
                .limit(1)
            )
            if previous is None:
                raise WrongStatus("There is no earlier release to go back to.")
            current.status = "rolled_back"
            previous.status = "released"
            locked.released_version_id = previous.id
            locked.rollout_percent = 100
        return _out(previous, appid)

    # -- review (moderators) -----------------------------------------------------------------

    async def queue(self, *, limit: int = 50) -> list[VersionOut]:
        async with self.svc.db.read() as s:
            rows = (
                await s.execute(
                    select(V, MiniApp.appid)
                    .join(MiniApp, MiniApp.id == V.app_id)
                    .where(V.status == "submitted")
                    .order_by(V.submitted_at, V.id)
                    .limit(limit)
                )
            ).all()
        return [_out(v, appid) for v, appid in rows]

    async def approve(self, reviewer_id: int, version_id: int) -> VersionOut:
        row = await self._move(
            version_id,
            None,
            ("submitted",),
            "approved",
            reviewer_id=reviewer_id,
            reviewed_at=self.svc.clock.now(),
        )
        return _out(row, await self._appid(row.app_id))

    async def reject(self, reviewer_id: int, version_id: int, reason: str) -> VersionOut:
        row = await self._move(
            version_id,
            None,
            ("submitted",),
            "rejected",
            reviewer_id=reviewer_id,
            reviewed_at=self.svc.clock.now(),
            reject_reason=reason,
        )
        return _out(row, await self._appid(row.app_id))

    async def _appid(self, app_id: int) -> str:
        async with self.svc.db.read() as s:
            return str(await s.scalar(select(MiniApp.appid).where(MiniApp.id == app_id)))

    # -- opening an app ----------------------------------------------------------------------

    async def launch(
        self, user_id: int, appid: str, version_id: int | None = None, *, staff: bool = False
    ) -> LaunchOut:
        """A signed URL that opens the app (the released version, or a trial or develop
        version for its testers or developer, or a version under review for moderators,
        `staff`); remembered as recently used."""
        app = await self.svc.apps.by_appid(appid)
        if app is None:
            raise NotFound("No such mini-program.")
        wanted = version_id or app.released_version_id
        async with self.svc.db.read() as s:
            row = await s.get(V, wanted) if wanted else None
            if not version_id and row is not None and not in_rollout(app, user_id):
                row = (
                    await s.scalar(  # the release before, while the new one rolls out
                        select(V)
                        .where(V.app_id == app.id, V.status == "superseded")
                        .order_by(V.released_at.desc(), V.id.desc())
                        .limit(1)
                    )
                    or row
                )
        if row is None or row.app_id != app.id:
            raise NotFound("No such mini-program." if not version_id else "No such version.")
        reviewing = staff and row.status in {"submitted", "approved", "rejected"}
        public = not version_id  # the released version, or the one before while rolling out
        if (
            not public
            and row.status != "released"
            and not reviewing
            and not await self._may_preview(app, row, user_id)
        ):
            raise NotFound("No such version.")
        ticket = self.svc.signer.sign("miniapp", str(row.id), self.svc.clock.now() + TICKET_TTL)
        entry = row.manifest["pages"][0]
        if public:
            await self._touch(app.id, user_id)
        origin = self.svc.policy.origin.rstrip("/")
        return LaunchOut(
            appid=appid,
            version_id=row.id,
            version=row.version,
            status=row.status,
            url=f"{origin}/app/{ticket}/{entry}",
            origin=origin,
            permissions=list(row.manifest.get("permissions", [])),
        )

    async def _may_preview(self, app: MiniApp, row: MiniAppVersion, user_id: int) -> bool:
        if app.developer_id == user_id:
            return row.status not in {"superseded", "rolled_back"}
        return row.status == "trial" and await self.svc.apps.is_tester(app.id, user_id)

    async def _touch(self, app_id: int, user_id: int) -> None:
        await self.svc.payments.app_user(app_id, user_id, touch=True)

    def file_for(self, ticket: str, path: str) -> tuple[Path, int]:
        """The file `path` of the version a launch ticket names (runtime origin)."""
        signed = self.svc.signer.unsign(ticket, self.svc.clock.now())
        if signed.kind != "miniapp":
            raise NotFound("Not found.")
        version_id = int(signed.ident)
        return self.version_file(version_id, path), version_id

    def version_file(self, version_id: int, path: str) -> Path:
        """The file `path` of an unpacked version; 404 for a name a bundle may not hold, or
        one that is not there or leads out of the version's folder."""
        try:
            name = bundles.check_name(path)
        except Exception:
            raise NotFound("Not found.") from None
        root = self._dir(version_id).resolve()
        target = (root / name).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise NotFound("Not found.")
        return target


def rollout_bucket(appid: str, user_id: int) -> int:
    """A user's stable place (0–99) in an app's gradual releases."""
    digest = hashlib.sha256(f"rollout:{appid}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100


def in_rollout(app: MiniApp, user_id: int) -> bool:
    return rollout_bucket(app.appid, user_id) < app.rollout_percent


def _out(v: MiniAppVersion, appid: str) -> VersionOut:
    return VersionOut(
        id=v.id,
        appid=appid,
        version=v.version,
        status=v.status,
        manifest=v.manifest,
        bundle_sha256=v.bundle_sha256,
        size=v.size,
        unpacked_size=v.unpacked_size,
        file_count=v.file_count,
        note=v.note,
        reject_reason=v.reject_reason,
        created_at=v.created_at,
        submitted_at=v.submitted_at,
        reviewed_at=v.reviewed_at,
        released_at=v.released_at,
    )
