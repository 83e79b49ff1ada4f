"""Who is making a request. Defined here so that lower layers (realtime) can authenticate
connections without importing the accounts domain that implements it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from starlette.requests import HTTPConnection

Role = Literal["user", "moderator", "admin"]


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    session_id: int
    role: Role
    via: Literal["cookie", "bearer"]


class Authenticator(Protocol):
    async def principal(self, conn: HTTPConnection) -> Principal | None:
        """The signed-in principal of a request or WebSocket, or None."""
        ...


async def require_principal(conn: HTTPConnection) -> Principal:
    """FastAPI dependency: the signed-in principal, or a 401 problem."""
    from hutong.core.errors import Unauthenticated

    authenticator: Authenticator = conn.app.state.authenticator
    principal = await authenticator.principal(conn)
    if principal is None:
        raise Unauthenticated("Sign in to continue.")
    return principal


async def optional_principal(conn: HTTPConnection) -> Principal | None:
    authenticator: Authenticator = conn.app.state.authenticator
    return await authenticator.principal(conn)
