"""A real Hutong server in a subprocess and a headless Chromium, shared by the browser tests
and by `screenshot.py`.

The server is `hutong serve` from this virtualenv on a free port with its own data directory, so
a run never touches `./var` or any `HUTONG_*` setting of the calling shell.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

CHROMIUM = os.environ.get("HUTONG_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def urlopen(url: str, timeout: float) -> Any:
    """urllib's opener, for the test server's own http:// URLs only."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"not the test server: {url}")
    return urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 (checked just above)


def http_json(method: str, url: str, body: object, headers: dict[str, str] | None = None) -> Any:
    """A JSON request to the test server outside any browser; the decoded answer."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"not the test server: {url}")
    req = urllib.request.Request(  # noqa: S310 (checked just above)
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method=method,
    )
    with urllib.request.urlopen(req, timeout=30) as res:  # noqa: S310
        raw = res.read()
    return json.loads(raw) if raw else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unique_handle(prefix: str = "u") -> str:
    """Unique per run and across runs against the same server (handles are 3–20 chars)."""
    return f"{prefix}{next(_counter)}_{secrets.token_hex(3)}"[:20]


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUTONG_")}
    env.update(
        HUTONG_DATA_DIR=str(data_dir),
        HUTONG_PASSWORD_PROFILE="test",
        HUTONG_LOG_LEVEL="WARNING",
        HUTONG_ACCESS_LOG="false",
        HUTONG_REGISTER_LIMIT_IP="10000",
        HUTONG_LOGIN_FAIL_LIMIT_IP="10000",
    )
    env.update(extra)
    return env


def hutong_bin() -> str:
    return str(Path(sys.executable).parent / "hutong")


@dataclass
class Server:
    """`hutong serve` on a free port; `base_url` once started."""

    data_dir: Path
    port: int = 0
    miniapp_port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def miniapp_origin(self) -> str:
        return f"http://127.0.0.1:{self.miniapp_port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def start(self, timeout: float = 60.0) -> Server:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        self.miniapp_port = self.miniapp_port or free_port()
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [hutong_bin(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=self.data_dir,  # so no stray .env is read
            env=server_env(
                self.data_dir,
                HUTONG_MINIAPP_ORIGIN=self.miniapp_origin,
                HUTONG_MINIAPP_WEBHOOK_ALLOW_PRIVATE="true",
            ),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hutong serve exited early:\n{self.log()}")
            try:
                with urlopen(self.base_url + "/readyz", timeout=2) as res:
                    if res.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"hutong serve not ready after {timeout} s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self._log:
            self._log.close()

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        """A JSON POST outside any browser (creating users without signing a context in)."""
        return http_json("POST", self.base_url + path, body, headers)

    def create_user(
        self, handle: str | None = None, display_name: str | None = None
    ) -> dict[str, Any]:
        """Register a user through the API (an API session, no browser involved)."""
        handle = handle or unique_handle()
        body: dict[str, Any] = {"handle": handle, "password": PASSWORD}
        if display_name:
            body["display_name"] = display_name
        out = self.post("/auth/register", body)
        user: dict[str, Any] = out["user"]
        user["password"] = PASSWORD
        return user


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
    )
