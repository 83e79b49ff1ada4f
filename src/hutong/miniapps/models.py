"""Mini-program tables: developers, apps, testers, versions, the app users' openids, one-time
login codes, payment orders and refunds, and the webhook outbox.

Money never lives here: an order points at the wallet payment that paid it (`payment_id`, the
ledger transaction), and refunds at the wallet's refund transactions. The developer is paid into
their own merchant account (`miniapp_developers.merchant_id`), opened through the wallet when
they register. Cross-domain references (users, merchants, payments) are plain id columns.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hutong.core.db import Base, BigId


class Developer(Base):
    __tablename__ = "miniapp_developers"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    merchant_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime]


class MiniApp(Base):
    __tablename__ = "miniapps"
    __table_args__ = (Index("ix_miniapps_developer", "developer_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    appid: Mapped[str] = mapped_column(String(24), unique=True)
    developer_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))
    # The app's icon: a media id (a square-fitting thumbnail of the uploaded image), or none,
    # when clients draw the app's initial on its category's colour.
    icon_id: Mapped[str | None] = mapped_column(String(64))
    # Two keys derived from the secret, never the secret: one authenticates the developer's
    # backend, the other signs webhooks (a leaked table cannot be used to call the API).
    secret_hash: Mapped[str] = mapped_column(String(64))
    webhook_key: Mapped[str] = mapped_column(String(64))
    secret_rotated_at: Mapped[dt.datetime]
    domains: Mapped[list[str]] = mapped_column(JSON)
    released_version_id: Mapped[int | None] = mapped_column(BigInteger)
    # Gradual release: the released version reaches this share of users (a stable bucket per
    # user); the others keep the version released before it.
    rollout_percent: Mapped[int] = mapped_column(Integer, default=100, server_default="100")
    created_at: Mapped[dt.datetime]


class MiniAppTester(Base):
    __tablename__ = "miniapp_testers"

    app_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    created_at: Mapped[dt.datetime]


class MiniAppVersion(Base):
    """One uploaded bundle. `status`: develop → trial → submitted → approved | rejected →
    released → superseded (a newer release) | rolled_back."""

    __tablename__ = "miniapp_versions"
    __table_args__ = (
        UniqueConstraint("app_id", "version", name="uq_miniapp_versions_app_version"),
        Index("ix_miniapp_versions_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    app_id: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    bundle_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    unpacked_size: Mapped[int] = mapped_column(BigInteger)
    file_count: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    reject_reason: Mapped[str] = mapped_column(String(500), default="")
    reviewer_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime]
    submitted_at: Mapped[dt.datetime | None]
    reviewed_at: Mapped[dt.datetime | None]
    released_at: Mapped[dt.datetime | None]


class MiniAppUser(Base):
    """A user as one app knows them: their openid, and when they last opened it (recents)."""

    __tablename__ = "miniapp_users"
    __table_args__ = (Index("ix_miniapp_users_recent", "user_id", "last_used_at"),)

    app_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    openid: Mapped[str] = mapped_column(String(40), unique=True)
    session_key_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    last_used_at: Mapped[dt.datetime]


class MiniAppLoginCode(Base):
    """A one-time code from the SDK's `login()`; only its SHA-256 is stored."""

    __tablename__ = "miniapp_login_codes"
    __table_args__ = (Index("ix_miniapp_login_codes_expires", "expires_at"),)

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    app_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class MiniAppOrder(Base):
    """A payment order the developer's backend created. `status`: created → paid."""

    __tablename__ = "miniapp_orders"
    __table_args__ = (
        UniqueConstraint("app_id", "out_trade_no", name="uq_miniapp_orders_trade_no"),
        Index("ix_miniapp_orders_user", "user_id", "id"),
        # The crash-gap sweeper looks for orders still "created" in a window of time.
        Index("ix_miniapp_orders_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    app_id: Mapped[int] = mapped_column(BigInteger)
    out_trade_no: Mapped[str] = mapped_column(String(64))
    prepay_id: Mapped[str] = mapped_column(String(40), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(BigInteger)
    openid: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(128))
    notify_url: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10))
    payment_id: Mapped[int | None] = mapped_column(BigInteger)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime]
    paid_at: Mapped[dt.datetime | None]


class MiniAppRefund(Base):
    __tablename__ = "miniapp_refunds"
    __table_args__ = (
        UniqueConstraint("app_id", "out_refund_no", name="uq_miniapp_refunds_refund_no"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    app_id: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    out_refund_no: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    refund_tx_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime]


class MiniAppWebhook(Base):
    """A notification waiting for (or done with) delivery to the developer's `notify_url`.

    Written in the same transaction as the order change it reports, so nothing is announced
    that did not happen and nothing that happened goes unannounced, across restarts."""

    __tablename__ = "miniapp_webhooks"
    __table_args__ = (Index("ix_miniapp_webhooks_due", "state", "next_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    app_id: Mapped[int] = mapped_column(BigInteger)
    event: Mapped[str] = mapped_column(String(30))
    url: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[dt.datetime]
    last_error: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime]
    delivered_at: Mapped[dt.datetime | None]


class MiniAppGrant(Base):
    """A user's consent that one app may read something of theirs (`scope`: "userInfo"),
    remembered until they revoke it in settings."""

    __tablename__ = "miniapp_grants"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    app_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    granted_at: Mapped[dt.datetime]
