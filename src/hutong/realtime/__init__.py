"""Realtime: the per-user event log, `GET /sync`, and the WebSocket gateway.

Knows nothing of chats or posts: domains call `SyncLog.emit` inside their transaction and the
gateway forwards whatever was committed.
"""

from hutong.realtime.gateway import Gateway
from hutong.realtime.presence import Presence
from hutong.realtime.service import Event, SyncLog, SyncPage, session_topic, user_topic

__all__ = ["Event", "Gateway", "Presence", "SyncLog", "SyncPage", "session_topic", "user_topic"]
