"""Typed problems of red envelopes. None of them moves money."""

from __future__ import annotations

from typing import Any

from hutong.core.errors import Conflict, Expired, Forbidden, InvalidInput


class AmountOutOfRange(InvalidInput):
    code = "redpacket-amount-out-of-range"
    title = "The envelope's amount is outside the allowed range"


class SharesOutOfRange(InvalidInput):
    code = "redpacket-shares-out-of-range"
    title = "The number of shares is outside the allowed range"


class WrongChatKind(InvalidInput):
    code = "redpacket-wrong-chat"
    title = "This kind of envelope cannot be sent into this chat"


class RecipientNotInGroup(InvalidInput):
    code = "redpacket-recipient-not-in-group"
    title = "An exclusive envelope goes to another member of the group"


class NotForYou(Forbidden):
    code = "redpacket-not-for-you"
    title = "This red envelope is for someone else"


class AlreadyOpened(Conflict):
    code = "redpacket-already-opened"
    title = "You already opened this red envelope"

    def __init__(self, amount: int, extra: dict[str, Any] | None = None) -> None:
        super().__init__(
            f"You already got {amount} fen from this envelope.",
            extra={"amount": amount, **(extra or {})},
        )


class AllTaken(Conflict):
    code = "redpacket-all-taken"
    title = "Every share of this red envelope was taken"


class EnvelopeExpired(Expired):
    code = "redpacket-expired"
    title = "This red envelope expired; what was left went back to the sender"
