"""Desktop QR login, as WeChat Web does it.

1. The desktop page asks for a login request and shows its QR code (a signed `/qr/<token>`
   link) plus a ticket for an anonymous WebSocket on topic `qrlogin:<id>`; it keeps a secret.
2. A signed-in phone scans the code (or opens the link), sees which device is asking, and
   confirms or declines; each step is pushed to the desktop over the socket.
3. On "confirmed" the desktop exchanges its secret for a session cookie. The session token is
   created only in that exchange, so it never travels through pub/sub, and a person who merely
   saw the QR code cannot obtain it.
The request lives two minutes and is single-use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import update

from hutong.accounts.models import QrLogin
from hutong.accounts.schemas import QrInfoOut
from hutong.accounts.service import AccountService, NewSession
from hutong.core.auth import Principal
from hutong.core.errors import Conflict, Expired, NotFound, Unauthenticated
from hutong.core.signing import SignedToken, Signer
from hutong.realtime import SyncLog


def qr_topic(login_id: str) -> str:
    return f"qrlogin:{login_id}"


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class QrLoginService:
    def __init__(
        self, accounts: AccountService, signer: Signer, sync_log: SyncLog, ttl_s: int
    ) -> None:
        self.accounts = accounts
        self.db = accounts.db
        self.clock = accounts.clock
        self.signer = signer
        self.sync = sync_log
        self.ttl = dt.timedelta(seconds=ttl_s)

    async def start(self, device_name: str, ip: str) -> dict[str, Any]:
        now = self.clock.now()
        login_id = secrets.token_urlsafe(16)
        secret = secrets.token_urlsafe(24)
        expires = now + self.ttl
        async with self.db.write() as uow:
            uow.session.add(
                QrLogin(
                    id=login_id,
                    secret_hash=_sha(secret),
                    status="pending",
                    device_name=device_name[:80] or "Web browser",
                    ip=ip[:64],
                    created_at=now,
                    expires_at=expires,
                )
            )
        return {
            "id": login_id,
            "secret": secret,
            "token": self.signer.sign("login", login_id, expires),
            "ticket": self.signer.sign(
                "ws", qr_topic(login_id), expires + dt.timedelta(seconds=30)
            ),
            "expires_at": expires,
        }

    async def _load(self, login_id: str) -> QrLogin:
        async with self.db.read() as s:
            row = await s.get(QrLogin, login_id)
        if row is None:
            raise NotFound("No such login request.")
        return row

    def _check_live(self, row: QrLogin, allowed: tuple[str, ...]) -> None:
        if row.expires_at <= self.clock.now():
            raise Expired("This login code has expired. Refresh the code on the computer.")
        if row.status not in allowed:
            raise Expired(f"This login code was already {row.status}.")

    async def resolve(self, token: SignedToken, principal: Principal | None) -> dict[str, Any]:
        """What a scanning phone sees; marks the request scanned."""
        if principal is None:
            raise Unauthenticated("Sign in on this device to approve the login.")
        row = await self._load(token.ident)
        self._check_live(row, ("pending", "scanned"))
        await self._transition(row.id, ("pending", "scanned"), "scanned", None)
        info = QrInfoOut(
            id=row.id,
            status="scanned",
            device_name=row.device_name,
            ip=row.ip,
            expires_at=row.expires_at,
        )
        return info.model_dump(mode="json")

    async def _transition(
        self, login_id: str, from_: tuple[str, ...], to: str, user_id: int | None
    ) -> None:
        async with self.db.write() as uow:
            values: dict[str, Any] = {"status": to}
            if user_id is not None:
                values["user_id"] = user_id
            result = await uow.session.execute(
                update(QrLogin)
                .where(
                    QrLogin.id == login_id,
                    QrLogin.status.in_(from_),
                    QrLogin.expires_at > self.clock.now(),
                )
                .values(**values)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise Expired("This login code is no longer valid.")

            async def notify() -> None:
                await self.sync.publish_ephemeral(qr_topic(login_id), "qrlogin", {"status": to})

            uow.after_commit(notify)

    async def decide(self, login_id: str, principal: Principal, approve: bool) -> None:
        row = await self._load(login_id)
        self._check_live(row, ("pending", "scanned"))
        status = "confirmed" if approve else "denied"
        await self._transition(login_id, ("pending", "scanned"), status, principal.user_id)

    async def complete(self, login_id: str, secret: str) -> NewSession:
        """The desktop trades its secret for a session, once."""
        row = await self._load(login_id)
        if not hmac.compare_digest(row.secret_hash, _sha(secret)):
            raise NotFound("No such login request.")
        if row.status in {"pending", "scanned"}:
            raise Conflict("Not confirmed on the phone yet.")
        self._check_live(row, ("confirmed",))
        assert row.user_id is not None
        await self.accounts.check_login_allowed(row.user_id)
        async with self.db.write() as uow:
            result = await uow.session.execute(
                update(QrLogin)
                .where(QrLogin.id == login_id, QrLogin.status == "confirmed")
                .values(status="used")
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise Expired("This login code was already used.")
            return await self.accounts.open_session_for(
                uow, row.user_id, "web", row.device_name, row.ip
            )
