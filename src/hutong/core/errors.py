"""Typed errors. Each maps to one RFC 9457 problem type; routes never build error bodies."""

from __future__ import annotations

from typing import Any, ClassVar


class HutongError(Exception):
    """Base of every error a client may see. `code` becomes the problem `type` slug."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.fields = fields or {}
        self.headers = headers or {}
        self.extra = extra or {}


class InvalidInput(HutongError):
    status = 422
    code = "invalid-input"
    title = "The request has invalid fields"


class Unauthenticated(HutongError):
    status = 401
    code = "unauthenticated"
    title = "Sign-in required"


class BadCredentials(HutongError):
    status = 401
    code = "bad-credentials"
    title = "Wrong handle or password"


class Forbidden(HutongError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


class CsrfFailed(Forbidden):
    code = "csrf-failed"
    title = "Missing or wrong CSRF token"


class NotFound(HutongError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(HutongError):
    status = 409
    code = "conflict"
    title = "Conflicts with the current state"


class Expired(HutongError):
    status = 410
    code = "expired"
    title = "This link or code has expired or was already used"


class PayloadTooLarge(HutongError):
    status = 413
    code = "payload-too-large"
    title = "Request body too large"


class UnsupportedMedia(HutongError):
    status = 415
    code = "unsupported-media"
    title = "Unsupported file type"


class TooManyRequests(HutongError):
    status = 429
    code = "too-many-requests"
    title = "Too many attempts"

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(
            detail or f"Too many attempts; try again in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
            extra={"retry_after": retry_after},
        )
        self.retry_after = retry_after


class Unavailable(HutongError):
    status = 503
    code = "unavailable"
    title = "A dependency is unavailable"
