"""Helpers for red-envelope tests: groups of members with wallets, sending, opening, audit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from hutong.app import Container
from hutong.wallet.ledger import WALLET
from tests.helpers import PASSWORD, Api, User, unique_handle
from tests.wallet.util import PIN, fund, ptype

__all__ = ["PIN", "ptype"]


@dataclass
class Member:
    id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def members(c: Container, n: int) -> list[Member]:
    """n new accounts signed in (service level: fast enough for a 500-member group)."""
    out = []
    for _ in range(n):
        new = await c.accounts.register(
            unique_handle("rp"), PASSWORD, None, device_name="test", ip="", kind="api"
        )
        out.append(Member(new.me.id, new.token))
    return out


async def group_of(c: Container, owner: Member, others: list[Member], money: int = 0) -> int:
    """A group owned by `owner` (who has a PIN and `money` fen) with `others` in it."""
    async with c.db.write() as uow:
        for m in others:
            await c.contacts.make_friends(uow, owner.id, m.id)
    await c.wallet.pins.set_pin(owner.id, PIN, current_pin=None, password=PASSWORD)
    if money:
        await fund(c, owner.id, money)
    chat = await c.groups.create(owner.id, "红包群", [m.id for m in others])
    return chat.id


async def balance(c: Container, user_id: int) -> int:
    account = await c.wallet.ledger.find_account(WALLET, user_id)
    return await c.wallet.ledger.balance(account) if account else 0


async def send(
    client: httpx.AsyncClient,
    who: Member | User,
    chat_id: int,
    *,
    key: str | None = None,
    **body: Any,
) -> httpx.Response:
    payload = {"kind": "lucky", "shares": 1, "pin": PIN, **body}
    headers = {**who.headers, "Idempotency-Key": key or str(uuid.uuid4())}
    return await client.post(f"/chats/{chat_id}/redpackets", json=payload, headers=headers)


async def open_(client: httpx.AsyncClient, who: Member | User, envelope_id: int) -> httpx.Response:
    return await client.post(f"/redpackets/{envelope_id}/open", headers=who.headers)


async def audited(c: Container) -> None:
    """Both audits pass: the ledger's and the envelopes'."""
    from hutong.wallet import audit

    report = await audit(c.db)
    assert report.ok, report.summary()
    envelopes = await c.redpackets.audit()
    assert envelopes.ok, envelopes.violations


def api_of(api: Api) -> httpx.AsyncClient:
    return api.client
