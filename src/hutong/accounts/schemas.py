"""Request and response shapes of the accounts API, with the handle and profile rules."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

HANDLE_RE = re.compile(r"^[a-z0-9_]{3,20}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
RESERVED_HANDLES = frozenset(
    {"admin", "root", "system", "hutong", "support", "help", "api", "me", "qr", "ws", "null"}
)


def normalise_handle(value: str) -> str:
    handle = value.strip().lower()
    if not HANDLE_RE.match(handle):
        raise ValueError("3–20 characters: letters a–z, digits and _")
    return handle


def normalise_phone(value: str) -> str:
    """E.164, e.g. +8613800138000. Numbers without a + are read as Chinese numbers."""
    try:
        number = phonenumbers.parse(value, None if value.strip().startswith("+") else "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str:
    email = value.strip()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise ValueError("not an email address")
    local, domain = email.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


Handle = Annotated[str, AfterValidator(normalise_handle)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Phone = Annotated[str, AfterValidator(normalise_phone)]
Email = Annotated[str, AfterValidator(normalise_email)]
# In profile edits an empty string removes the value.
PhoneOrBlank = Annotated[str, AfterValidator(lambda v: normalise_phone(v) if v.strip() else "")]
EmailOrBlank = Annotated[str, AfterValidator(lambda v: normalise_email(v) if v.strip() else "")]
DeviceName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(Strict):
    handle: Handle
    password: Password
    display_name: DisplayName | None = None
    device_name: DeviceName | None = None


class LoginIn(Strict):
    handle: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    device_name: DeviceName | None = None


class ProfileIn(Strict):
    display_name: DisplayName | None = None
    bio: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    region: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None
    phone: PhoneOrBlank | None = Field(None, description="E.164; empty string removes it")
    email: EmailOrBlank | None = Field(None, description="empty string removes it")


class PasswordIn(Strict):
    old_password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    new_password: Password


class RoleIn(Strict):
    role: Literal["user", "moderator", "admin"]


class VerificationIn(Strict):
    kind: Literal["", "personal", "organisation"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""


class PublicUser(BaseModel):
    id: int
    handle: str
    display_name: str
    avatar_url: str | None
    avatar_thumb_url: str | None
    bio: str
    region: str
    verified: str
    verified_reason: str


class Me(PublicUser):
    phone: str | None
    email: str | None
    role: str
    created_at: dt.datetime


class AuthOut(BaseModel):
    user: Me
    csrf_token: str | None = None
    token: str | None = None
    session_id: int


class SessionOut(BaseModel):
    id: int
    kind: str
    device_name: str
    ip: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    current: bool


class QrStartOut(BaseModel):
    id: str
    secret: str
    token: str
    url: str
    svg_url: str
    png_url: str
    ticket: str
    expires_at: dt.datetime


class QrInfoOut(BaseModel):
    id: str
    status: str
    device_name: str
    ip: str
    expires_at: dt.datetime


class QrCompleteIn(Strict):
    id: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    secret: Annotated[str, StringConstraints(min_length=1, max_length=64)]
