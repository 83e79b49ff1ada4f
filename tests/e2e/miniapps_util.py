"""Publishing mini-programs for the browser tests, the way a developer and a moderator would
through the API: register, create the app, upload the bundle, submit, approve, release."""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from hutong.miniapps.demo import EXAMPLES, bundle_zip, example_icon, examples_dir
from tests.e2e.harness import Server, free_port
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


@dataclass
class ExampleBackend:
    """An example app's backend (examples/<key>/backend.py) as its own process, as `hutong
    serve` starts it after `hutong demo`."""

    key: str
    appid: str
    secret: str
    port: int
    db: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self, server: Server, log: Path, **extra: str) -> ExampleBackend:
        env = {
            **os.environ,
            "HUTONG_URL": server.base_url,
            "APPID": self.appid,
            "APP_SECRET": self.secret,
            "PORT": str(self.port),
            "PUBLIC_URL": f"http://127.0.0.1:{self.port}",
            "DB_PATH": str(self.db),
            **extra,
        }
        script = examples_dir() / self.key / "backend.py"
        self.proc = subprocess.Popen(
            [sys.executable, str(script)], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.key} backend exited:\n{log.read_text()[-2000:]}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"{self.key} backend did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db) as db:
            return db.execute(sql).fetchall()


def publish_example(
    server: Server,
    developer: dict[str, Any],
    moderator: dict[str, Any],
    key: str,
    name: str,
    category: str,
    workdir: Path,
) -> ExampleBackend:
    """Publish examples/<key> with its page pointed at a backend on a free port; start it."""
    port = free_port()
    app = publish(
        server,
        developer,
        moderator,
        name=name,
        bundle=bundle_zip(examples_dir() / key, api_url=f"http://127.0.0.1:{port}"),
        domains=[f"127.0.0.1:{port}"],
        category=category,
    )
    # With the icon `hutong demo` gives it, uploaded as the console does (multipart).
    icon = example_icon(next(e for e in EXAMPLES if e.key == key))
    r = httpx.put(
        f"{server.base_url}/miniapps/console/apps/{app['appid']}/icon",
        headers={"Authorization": f"Bearer {token(server, developer)}"},
        files={"file": ("icon.png", icon, "image/png")},
        timeout=30,
    )
    r.raise_for_status()
    backend = ExampleBackend(key, app["appid"], app["secret"], port, workdir / f"{key}.db")
    return backend.start(server, workdir / f"{key}.log")
