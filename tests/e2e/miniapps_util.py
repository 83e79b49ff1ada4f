"""Publishing mini-programs for the browser tests, the way a developer and a moderator would
through the API: register, create the app, upload the bundle, submit, approve, release."""

from __future__ import annotations

import base64
import io
import json
import urllib.request
import zipfile
from typing import Any

from tests.e2e.harness import Server
from tests.e2e.social import api, token


def zip_files(files: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


def publish(
    server: Server,
    developer: dict[str, Any],
    moderator: dict[str, Any],
    *,
    name: str,
    bundle: bytes,
    domains: list[str],
    category: str = "food",
    description: str = "",
) -> dict[str, Any]:
    """A released app of `developer`: {appid, secret}."""
    if not developer.get("is_developer"):
        api(server, developer, "POST", "/miniapps/developer", {"name": f"{name} Ltd"})
        developer["is_developer"] = True
    app = api(
        server,
        developer,
        "POST",
        "/miniapps/console/apps",
        {"name": name, "description": description, "category": category, "domains": domains},
    )
    appid = app["appid"]
    req = urllib.request.Request(  # noqa: S310 (the test server's own URL)
        f"{server.base_url}/miniapps/console/apps/{appid}/versions?version=1.0.0",
        data=bundle,
        method="POST",
        headers={
            "Authorization": f"Bearer {token(server, developer)}",
            "Content-Type": "application/zip",
        },
    )
    with urllib.request.urlopen(req, timeout=30) as res:  # noqa: S310
        version = json.loads(res.read())
    base = f"/miniapps/console/apps/{appid}/versions/{version['id']}"
    api(server, developer, "POST", f"{base}/submit", {})
    api(server, moderator, "POST", f"/miniapps/review/{version['id']}/approve", {})
    api(server, developer, "POST", f"{base}/release", {})
    return {"appid": appid, "secret": app["secret"]}


def basic(appid: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{appid}:{secret}".encode()).decode()
