"""Red envelopes (1:1, lucky, normal, exclusive) sent into chats and paid through the wallet's
ledger, and the chat messages that announce friend transfers. This package sits above both
`chat` and `wallet`, which know nothing of each other or of it.
"""

from hutong.redpackets.bridge import TransferMessages
from hutong.redpackets.service import RedPacketPolicy, RedPackets
from hutong.redpackets.sweep import EnvelopeAudit, audit

__all__ = ["EnvelopeAudit", "RedPacketPolicy", "RedPackets", "TransferMessages", "audit"]
