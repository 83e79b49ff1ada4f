"""Typed problems of mini-programs. None of them moves money or stores anything."""

from __future__ import annotations

from hutong.core.errors import Conflict, Forbidden, InvalidInput, PayloadTooLarge, Unauthenticated


class BadBundle(InvalidInput):
    code = "miniapp-bad-bundle"
    title = "The bundle was refused"

    def __init__(self, detail: str, *, reason: str) -> None:
        super().__init__(detail, fields={"bundle": reason}, extra={"reason": reason})


class BundleTooLarge(PayloadTooLarge):
    code = "miniapp-bundle-too-large"
    title = "The bundle is too large, or expands too much"

    def __init__(self, detail: str, *, reason: str = "too-large") -> None:
        super().__init__(detail, fields={"bundle": reason}, extra={"reason": reason})


class NotADeveloper(Forbidden):
    code = "miniapp-not-a-developer"
    title = "Register as a developer first"


class AlreadyDeveloper(Conflict):
    code = "miniapp-already-developer"
    title = "You are already registered as a developer"


class WrongStatus(Conflict):
    code = "miniapp-wrong-status"
    title = "This version cannot do that in its current state"


class BadAppCredentials(Unauthenticated):
    code = "miniapp-bad-credentials"
    title = "Wrong appid or app secret"


class BadLoginCode(InvalidInput):
    code = "miniapp-bad-login-code"
    title = "This login code is unknown, expired or already used"


class DomainNotAllowed(InvalidInput):
    code = "miniapp-domain-not-allowed"
    title = "This URL is not on one of the app's declared server domains"


class OrderReused(Conflict):
    code = "miniapp-order-number-reused"
    title = "This order number was already used for a different order"


class OrderAlreadyPaid(Conflict):
    code = "miniapp-order-already-paid"
    title = "This order is already paid"


class OrderNotPaid(Conflict):
    code = "miniapp-order-not-paid"
    title = "This order is not paid"
