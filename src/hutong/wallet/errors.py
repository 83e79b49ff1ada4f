"""Typed problems of the wallet. Each has its own `type` slug, so a client can tell "wrong PIN"
from "locked" from "not enough money" without reading text, and none of them moves money."""

from __future__ import annotations

import datetime as dt

from hutong.core.errors import Conflict, Expired, Forbidden, HutongError, InvalidInput


class AmountTooLarge(InvalidInput):
    code = "amount-too-large"
    title = "The amount is above the limit for one operation"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"At most {limit} fen per operation.",
            fields={"amount": f"at most {limit}"},
            extra={"limit": limit},
        )


class SelfPayment(InvalidInput):
    code = "self-payment"
    title = "You cannot pay yourself"


class NotFriends(Forbidden):
    code = "not-friends"
    title = "Transfers go to friends only"


class InsufficientFunds(Conflict):
    code = "insufficient-funds"
    title = "Not enough money in the wallet"


class DailyLimitExceeded(Conflict):
    code = "daily-limit-exceeded"
    title = "This would pass today's spending limit"


class IdempotencyKeyRequired(InvalidInput):
    code = "idempotency-key-required"
    title = "Money-moving requests need an Idempotency-Key header"


class IdempotencyKeyReused(Conflict):
    code = "idempotency-key-reused"
    title = "This Idempotency-Key was used for a different request"


class PinNotSet(Conflict):
    code = "pin-not-set"
    title = "Set a payment PIN first"


class WeakPin(InvalidInput):
    code = "weak-pin"
    title = "The PIN is too easy to guess"


class WrongPin(Forbidden):
    code = "wrong-pin"
    title = "Wrong payment PIN"

    def __init__(self, attempts_left: int) -> None:
        super().__init__(
            f"Wrong payment PIN; {attempts_left} attempt(s) left before payments lock.",
            extra={"attempts_left": attempts_left},
        )


class PinLocked(HutongError):
    status = 423
    code = "pin-locked"
    title = "Payments are locked after too many wrong PINs"

    def __init__(self, until: dt.datetime) -> None:
        super().__init__(
            f"Payments are locked until {until.isoformat(timespec='seconds')}.",
            extra={"locked_until": until.isoformat()},
        )
        self.until = until


class NotPending(Conflict):
    code = "not-pending"
    title = "This transfer was already accepted, declined or returned"


class TransferExpired(Expired):
    code = "transfer-expired"
    title = "The transfer expired and was returned to the sender"


class RefundTooLarge(Conflict):
    code = "refund-exceeds-payment"
    title = "Refunds cannot exceed what was paid"


class PaymentCodeInvalid(InvalidInput):
    code = "payment-code-invalid"
    title = "Not a valid payment code"


class PaymentCodeExpired(Expired):
    code = "payment-code-expired"
    title = "This payment code has expired or was already used"


class BankDeclined(HutongError):
    status = 402
    code = "bank-declined"
    title = "The bank declined the operation"


class CardInvalid(InvalidInput):
    code = "card-invalid"
    title = "Not a valid card number"
