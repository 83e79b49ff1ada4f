"""Setting up relationships through the API, for browser tests that start from friends."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import Server, http_json


def token(server: Server, user: dict[str, Any]) -> str:
    out = server.post("/auth/token", {"handle": user["handle"], "password": user["password"]})
    return str(out["token"])


def api(server: Server, user: dict[str, Any], method: str, path: str, body: object) -> Any:
    """A JSON request as `user` with a bearer token (no browser involved)."""
    return http_json(
        method, server.base_url + path, body, {"Authorization": f"Bearer {token(server, user)}"}
    )


def make_friends(server: Server, a: dict[str, Any], b: dict[str, Any]) -> None:
    """A asks by handle, B accepts."""
    req = api(server, a, "POST", "/contacts/requests", {"to_user_id": b["id"], "source": "handle"})
    if req["status"] == "pending":
        api(server, b, "POST", f"/contacts/requests/{req['id']}/accept", {})
