"""Mini-programs: the service `app.py` builds once (`container.miniapps`).

`MiniApps` owns the parts — developers and apps (`apps.py`), versions and review
(`versions.py`), login and payments for the developer's backend (`payments.py`) and the
webhook outbox (`webhooks.py`) — and what they share: the database, the clock, the wallet
(developers are paid into a merchant account of theirs; orders are paid and refunded through
the wallet's merchant API, never by touching the ledger), the platform's webhook signing key
(`platform_key.py`) and the policy.

Background work: one task per worker delivers due webhooks (`Webhooks._run`); rows are
claimed with a guarded update, so several workers may run it at once. Once a minute the same
task completes orders the wallet charged but that were never marked paid
(`Payments.complete_charged`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from hutong.accounts import AccountService
from hutong.core.clock import Clock
from hutong.core.content import ContentPolicy
from hutong.core.db import Database
from hutong.core.media import MediaStore
from hutong.core.signing import Signer
from hutong.miniapps.bundles import BundleLimits
from hutong.miniapps.platform_key import FILE_NAME, PlatformKey
from hutong.wallet import WalletService

T = TypeVar("T")


@dataclass(frozen=True)
class MiniAppPolicy:
    """Rules from the `HUTONG_MINIAPP_*` settings."""

    origin: str = "http://127.0.0.1:8001"
    bundle_max_bytes: int = 4 * 1024 * 1024
    bundle_max_unpacked: int = 16 * 1024 * 1024
    bundle_max_files: int = 500
    bundle_max_ratio: int = 100
    login_code_ttl_s: int = 300
    apps_per_developer: int = 20
    webhook_allow_private: bool = False
    webhook_timeout_s: float = 5.0
    webhook_poll_s: float = 1.0

    @property
    def bundle_limits(self) -> BundleLimits:
        return BundleLimits(
            max_bytes=self.bundle_max_bytes,
            max_unpacked=self.bundle_max_unpacked,
            max_files=self.bundle_max_files,
            max_ratio=self.bundle_max_ratio,
        )


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def new_secret() -> str:
    """An app secret: 256 random bits, so a fast hash (SHA-256) stores it safely."""
    return secrets.token_urlsafe(32)


def secret_keys(secret: str) -> tuple[str, str]:
    """(authentication hash, webhook signing key) derived from an app secret. The developer
    derives the same signing key: hex SHA-256 of "webhook:" + secret."""
    return sha256_hex("auth:" + secret), sha256_hex("webhook:" + secret)


class MiniApps:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        wallet: WalletService,
        accounts: AccountService,
        signer: Signer,
        media: MediaStore,
        bundle_dir: Path,
        policy: MiniAppPolicy,
        *,
        content: ContentPolicy,
    ) -> None:
        from hutong.miniapps.apps import Apps
        from hutong.miniapps.payments import Payments
        from hutong.miniapps.versions import Versions
        from hutong.miniapps.webhooks import Webhooks

        self.db = db
        self.clock = clock
        self.wallet = wallet
        self.accounts = accounts
        self.signer = signer
        self.content = content
        self.policy = policy
        self.bundle_dir = bundle_dir
        self.media = media
        # Signs every webhook beside the app's HMAC; made on first use, shared by all workers.
        self.platform_key = PlatformKey(bundle_dir / FILE_NAME)
        self.apps = Apps(self)
        self.versions = Versions(self)
        self.payments = Payments(self)
        self.webhooks = Webhooks(self)

    async def write_at_once(self, fn: Callable[[Session], T]) -> T:
        """Run `fn` as one write transaction, with a synchronous ORM session.

        For the hot paths (an order made, an order marked paid, webhooks claimed and
        recorded): on SQLite the whole transaction is one hop to the database's blocking
        writer thread, so this process's write turn is held for the statements alone, not for
        a trip through a busy event loop per statement; on PostgreSQL it runs on a pooled
        connection as usual. `fn` must not await, and the objects it returns are detached."""

        def run(conn: Connection) -> T:
            with Session(bind=conn, expire_on_commit=False, autoflush=False) as session:
                out = fn(session)
                session.flush()
                session.expunge_all()
                return out

        if self.db.is_sqlite:
            return await self.db.blocking_write(run)
        async with self.db.write() as uow:
            conn = await uow.session.connection()
            return await conn.run_sync(run)

    async def start(self) -> None:
        self.webhooks.start()

    async def stop(self) -> None:
        await self.webhooks.stop()
