"""Typed problems of the contacts domain; each has its own problem `type` slug so clients can
tell "you are blocked" from "already friends" without parsing text."""

from __future__ import annotations

from hutong.core.errors import Conflict, Forbidden, InvalidInput


class SelfRequest(InvalidInput):
    code = "self-request"
    title = "You cannot add yourself"


class Blocked(Forbidden):
    code = "blocked"
    title = "Blocked"


class NotFindable(Forbidden):
    code = "not-findable"
    title = "This user cannot be added this way"


class AlreadyFriends(Conflict):
    code = "already-friends"
    title = "Already friends"


class DuplicateRequest(Conflict):
    code = "duplicate-request"
    title = "A request is already pending"


class NotAPhoneNumber(InvalidInput):
    code = "not-a-phone-number"
    title = "Not a phone number"


class NoQrCode(InvalidInput):
    code = "no-qr-code"
    title = "No QR code found in the image"


class MalformedImport(InvalidInput):
    code = "malformed-contacts-file"
    title = "The contacts file could not be read"

    def __init__(self, line: int, message: str) -> None:
        super().__init__(
            f"Line {line}: {message}", fields={"file": f"line {line}"}, extra={"line": line}
        )
        self.line = line
