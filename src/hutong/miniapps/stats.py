"""Read-only figures for the consoles: an app's numbers for its developer, and what the
moderators' review screen shows about the apps whose versions wait for review.

Nothing here writes. The figures are aggregates over the app's own rows (its users' openids,
its paid orders, its refunds and its webhook outbox), so they are as fresh as the last commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy import func, select

from hutong.miniapps.apps import icon_url
from hutong.miniapps.models import (
    Developer,
    MiniApp,
    MiniAppOrder,
    MiniAppRefund,
    MiniAppUser,
    MiniAppVersion,
    MiniAppWebhook,
)

if TYPE_CHECKING:
    from hutong.miniapps.service import MiniApps


class AppStatsOut(BaseModel):
    """An app's figures (money in fen)."""

    appid: str
    users: int  # people who opened the app or logged in to it
    orders_paid: int
    amount_paid: int
    refunds: int
    amount_refunded: int
    webhooks_pending: int  # still being retried
    webhooks_failed: int  # given up on


class ReviewAppOut(BaseModel):
    """What a moderator needs to know about an app whose version waits for review."""

    appid: str
    name: str
    description: str
    category: str
    icon_url: str | None
    domains: list[str]
    developer_id: int
    developer_name: str


async def app_stats(svc: MiniApps, user_id: int, appid: str) -> AppStatsOut:
    """The figures of one of `user_id`'s apps; 404 for anyone else's."""
    app = await svc.apps.owned(user_id, appid)
    o = MiniAppOrder
    async with svc.db.read() as s:
        users = await s.scalar(
            select(func.count()).select_from(MiniAppUser).where(MiniAppUser.app_id == app.id)
        )
        paid, amount, refunded = (
            await s.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(o.amount), 0),
                    func.coalesce(func.sum(o.refunded), 0),
                ).where(o.app_id == app.id, o.status == "paid")
            )
        ).one()
        refunds = await s.scalar(
            select(func.count()).select_from(MiniAppRefund).where(MiniAppRefund.app_id == app.id)
        )
        counted = await s.execute(
            select(MiniAppWebhook.state, func.count())
            .where(
                MiniAppWebhook.app_id == app.id,
                MiniAppWebhook.state.in_(("pending", "failed")),
            )
            .group_by(MiniAppWebhook.state)
        )
        hooks = {str(state): int(n) for state, n in counted}
    return AppStatsOut(
        appid=appid,
        users=int(users or 0),
        orders_paid=int(paid),
        amount_paid=int(amount),
        refunds=int(refunds or 0),
        amount_refunded=int(refunded),
        webhooks_pending=int(hooks.get("pending", 0)),
        webhooks_failed=int(hooks.get("failed", 0)),
    )


async def review_apps(svc: MiniApps) -> list[ReviewAppOut]:
    """The apps with a version in the review queue, with their developers' names."""
    waiting = select(MiniAppVersion.app_id).where(MiniAppVersion.status == "submitted")
    async with svc.db.read() as s:
        rows = (
            await s.execute(
                select(MiniApp, Developer.name)
                .join(Developer, Developer.user_id == MiniApp.developer_id)
                .where(MiniApp.id.in_(waiting))
                .order_by(MiniApp.id)
            )
        ).all()
    return [
        ReviewAppOut(
            appid=a.appid,
            name=a.name,
            description=a.description,
            category=a.category,
            icon_url=icon_url(a),
            domains=list(a.domains),
            developer_id=a.developer_id,
            developer_name=name,
        )
        for a, name in rows
    ]
