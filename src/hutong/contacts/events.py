"""Sync events the contacts domain emits, all through the realtime backbone (`SyncLog.emit`
inside the write transaction, published after commit):

| kind | to | payload |
| --- | --- | --- |
| contacts.request_received | recipient | `{"request": RequestOut}` |
| contacts.request_sent | sender (other devices) | `{"request": RequestOut}` |
| contacts.request_accepted | both | `{"request": RequestOut}` (status accepted) |
| contacts.request_declined | the decliner only | `{"request": RequestOut}` |
| contacts.request_withdrawn | both | `{"request": RequestOut}` |
| contacts.friend_added | both (invite redeemed) | `{"user_id": the new friend}` |
| contacts.friend_removed | both | `{"user_id": the other side, "by": who removed}` |
| contacts.friend_updated | self | `{"friend": FriendOut}` |
| contacts.blocked / contacts.unblocked | self | `{"user_id": …}` |
| contacts.privacy_updated | self | `PrivacyOut` |
| contacts.qr_reset | self | `{"token": new personal QR token}` |
"""

from __future__ import annotations

from typing import Any

from hutong.core.db import UnitOfWork
from hutong.realtime import SyncLog


async def emit_each(
    sync: SyncLog, uow: UnitOfWork, events: dict[int, tuple[str, dict[str, Any]]]
) -> None:
    """One event per user, each with its own kind and payload, appended in ascending user id
    order so that concurrent transactions lock users' sequence rows in the same order."""
    for uid in sorted(events):
        kind, payload = events[uid]
        await sync.emit(uow, [uid], kind, payload)
