"""Friend transfers as chat messages.

The wallet knows nothing of chats. Its outbox relay calls this bridge inside the transaction
that delivers the transfer events (`Outbox.on_relay`), and the bridge appends a `transfer`
message to the two friends' direct chat in that same transaction: the message exists exactly
when the event was delivered, so it is posted once, whatever crashes or how many workers relay.

One message per step: "sent" (by the sender), "accepted" / "declined" (by the recipient) and
"returned" (a system notice after 24 h). The body carries the transfer id, so the client shows
the transfer card and its current state from `GET /wallet/transfers/{id}`.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from hutong.chat import ChatDeps, append
from hutong.chat.models import Chat, Member
from hutong.core.db import UnitOfWork

log = logging.getLogger(__name__)

STEPS = {
    "wallet.transfer_received": "sent",
    "wallet.transfer_accepted": "accepted",
    "wallet.transfer_declined": "declined",
    "wallet.transfer_returned": "returned",
}


def direct_key(a: int, b: int) -> str:
    low, high = sorted((a, b))
    return f"{low}:{high}"


class TransferMessages:
    KINDS = frozenset(STEPS)  # the wallet events it acts on

    def __init__(self, chat_deps: ChatDeps) -> None:
        self.deps = chat_deps

    async def __call__(self, uow: UnitOfWork, events: list[tuple[list[int], str, Any]]) -> None:
        for _users, kind, payload in events:
            step = STEPS.get(kind)
            if step is None:
                continue
            # In a savepoint: a message that cannot be posted must not stop the relay, which
            # delivers every wallet event (the money has moved either way).
            try:
                async with uow.session.begin_nested():
                    await self._post(uow, step, payload)
            except Exception:
                log.exception("transfer %s: chat message not posted", payload.get("transfer_id"))

    async def _post(self, uow: UnitOfWork, step: str, p: dict[str, Any]) -> None:
        sender, recipient = int(p["from_user_id"]), int(p["to_user_id"])
        chat_id = await self._direct_chat(uow, sender, recipient)
        actor = {"sent": sender, "accepted": recipient, "declined": recipient}.get(step)
        body = {
            "transfer_id": int(p["transfer_id"]),
            "status": step,
            "amount": int(p["amount"]),
            "from_user_id": sender,
            "to_user_id": recipient,
            "note": str(p.get("note", "")),
        }
        await append(self.deps, uow, chat_id, sender_id=actor, kind="transfer", body=body)

    async def _direct_chat(self, uow: UnitOfWork, a: int, b: int) -> int:
        """The friends' direct chat, made here if they never opened it (a transfer is the
        first thing in it)."""
        s = uow.session
        key = direct_key(a, b)
        found = await s.scalar(select(Chat.id).where(Chat.direct_key == key))
        if found is not None:
            return int(found)
        now = self.deps.clock.now()
        chat = Chat(kind="direct", direct_key=key, member_count=2, created_at=now, updated_at=now)
        s.add(chat)
        await s.flush()
        for uid in (a, b):
            s.add(
                Member(chat_id=chat.id, user_id=uid, status="active", joined_at=now, updated_at=now)
            )
        await s.flush()
        return int(chat.id)
