"""Operations endpoints and the command-line tool."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import Api


async def test_health_readiness_metrics_and_docs(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = (await api.client.get("/readyz")).json()
    assert ready["status"] == "ready"
    assert ready["checks"]["database"] == "ok"
    user = await api.register()
    await api.client.get("/me", headers=user.headers)
    metrics = (await api.client.get("/metrics")).text
    assert 'hutong_http_requests_total{method="GET",route="/me",status="200"}' in metrics
    assert "hutong_websockets_open" in metrics
    assert (await api.client.get("/docs")).status_code == 200
    spec = (await api.client.get("/openapi.json")).json()
    assert "/auth/register" in spec["paths"]


async def test_every_response_carries_a_request_id(api: Api) -> None:
    r = await api.client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert r.headers["x-request-id"] == "abc123"
    ids = [(await api.client.get("/healthz")).headers["x-request-id"] for _ in range(3)]
    assert all(len(i) == 32 for i in ids)
    assert len(set(ids)) == 3  # each request its own


async def test_web_shell_is_served_with_a_strict_csp(api: Api) -> None:
    r = await api.client.get("/")
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert (await api.client.get("/qr/anything")).status_code == 200


def test_cli_migrates_and_creates_an_admin(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "HUTONG_DATA_DIR": str(tmp_path),
        "HUTONG_PASSWORD_PROFILE": "test",
        "HUTONG_ADMIN_PASSWORD": "admin-password-1",
    }
    env.pop("HUTONG_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "hutong.cli", "create-admin", "Root_Admin"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    assert "created admin root_admin" in out.stdout
    assert (tmp_path / "hutong.db").exists()
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    assert "now an admin" in again.stdout
