"""How close the authenticated hot path comes to the bare server stack, and sync fan-out.

    python bench/http_baseline.py [--duration 10] [--warmup 3] [--repeat 1] [--skip-sync]

Figures (requests per second, 32 keep-alive connections, `wrk -t1 -c32`):
  asgi_hello_rps        a raw ASGI callable answering a small JSON body
  fastapi_hello_rps     a bare FastAPI app answering a small dict
  me_rps                Hutong `GET /me` with a bearer token (access log at its default, on)
  me_rps_no_access_log  the same with HUTONG_ACCESS_LOG=false
  me_rps_log_info       the same with HUTONG_LOG_LEVEL=INFO, so access-log lines are written
  ratio                 me_rps / asgi_hello_rps (goal >= 0.12)
  framework_ratio       me_rps / fastapi_hello_rps
and `sync_events_per_s` from `sync_fanout.py` (100 WebSockets, PATCH /me producing events).

Every server is one uvicorn worker with Hutong's flags (httptools, uvloop, no uvicorn access
log), pinned to CPU 0; the load generator runs on CPU 1. Hutong runs on SQLite in a fresh data
dir with HUTONG_PASSWORD_PROFILE=test and HUTONG_LOG_LEVEL=WARNING. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402
import sync_fanout  # noqa: E402

GOAL_RATIO = 0.12


def measure(
    wrk: str,
    server: c.Server,
    path: str,
    *,
    seconds: float,
    warmup: float,
    repeat: int,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Warm up, then `repeat` measured wrk runs; the median run's figures plus every rps."""
    if warmup > 0:
        c.run_wrk(wrk, server.base + path, seconds=warmup, headers=headers)
    runs = [
        c.run_wrk(wrk, server.base + path, seconds=seconds, headers=headers) for _ in range(repeat)
    ]
    median = statistics.median_low(r["rps"] for r in runs)
    best = next(r for r in runs if r["rps"] == median)
    c.note(f"{server.name} {path}: {best['rps']:.0f} rps, non-2xx {best['non_2xx']}")
    return {**best, "rps_runs": [r["rps"] for r in runs], "server_log_lines": server.log_lines()}


async def sign_in(port: int) -> tuple[str, dict[str, Any]]:
    """Register one user; its bearer token and the `GET /me` it answers."""
    [token] = await c.register_users(port, 1, prefix="me")
    conn = await c.HttpConn.open("127.0.0.1", port)
    try:
        status, body = await conn.request("GET", "/me", token=token)
    finally:
        await conn.close()
    if status != 200 or body.get("handle") != "me00000":
        raise RuntimeError(f"GET /me answered {status} {body}")
    return token, body


def hutong_me(wrk: str, env: dict[str, str], name: str, **kw: Any) -> dict[str, Any]:
    with c.running(c.start_hutong(env, name=name)) as server:
        token, _ = asyncio.run(sign_in(server.port))
        res = measure(wrk, server, "/me", headers={"Authorization": f"Bearer {token}"}, **kw)
        res["env"] = server.env
        return res


def main() -> None:
    c.ensure_venv()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per server")
    p.add_argument("--repeat", type=int, default=1, help="measured runs per figure (median)")
    p.add_argument("--skip-sync", action="store_true", help="leave out sync_events_per_s")
    args = p.parse_args()
    wrk = c.ensure_wrk()
    if wrk is None:
        sys.exit("wrk is required: apt-get install -y wrk")
    kw = {"seconds": args.duration, "warmup": args.warmup, "repeat": args.repeat}

    detail: dict[str, Any] = {}
    with c.running(c.start_uvicorn_app("_apps:asgi_hello", "asgi_hello")) as server:
        detail["asgi_hello"] = measure(wrk, server, "/", **kw)
    with c.running(c.start_uvicorn_app("_apps:fastapi_hello", "fastapi_hello")) as server:
        detail["fastapi_hello"] = measure(wrk, server, "/", **kw)
    detail["me"] = hutong_me(wrk, {}, "hutong", **kw)
    detail["me_no_access_log"] = hutong_me(
        wrk, {"HUTONG_ACCESS_LOG": "false"}, "hutong-no-access-log", **kw
    )
    detail["me_log_info"] = hutong_me(wrk, {"HUTONG_LOG_LEVEL": "INFO"}, "hutong-log-info", **kw)

    me = detail["me"]["rps"]
    results: dict[str, Any] = {
        "me_rps": me,
        "me_rps_no_access_log": detail["me_no_access_log"]["rps"],
        "me_rps_log_info": detail["me_log_info"]["rps"],
        "asgi_hello_rps": detail["asgi_hello"]["rps"],
        "fastapi_hello_rps": detail["fastapi_hello"]["rps"],
        "ratio": round(me / detail["asgi_hello"]["rps"], 4),
        "framework_ratio": round(me / detail["fastapi_hello"]["rps"], 4),
        "goal_ratio": GOAL_RATIO,
        "goal_met": me / detail["asgi_hello"]["rps"] >= GOAL_RATIO,
        "non_2xx": {k: v["non_2xx"] for k, v in detail.items()},
        "socket_errors": {k: v["socket_errors"] for k, v in detail.items()},
    }
    if not args.skip_sync:
        sync_fanout.pin_client()
        import uvloop

        with c.running(c.start_hutong(name="hutong-sync")) as server:
            results.update(uvloop.run(sync_fanout.run_sync(server.port)))

    c.emit(
        c.report(
            "http_baseline",
            results,
            units={
                "*_rps": "requests/s, 32 keep-alive connections, median of `repeat` runs",
                "ratio": "me_rps / asgi_hello_rps",
                "framework_ratio": "me_rps / fastapi_hello_rps",
                **sync_fanout.SYNC_UNITS,
            },
            client={
                "http": f"wrk -t1 -c32 -d{args.duration:g}s (warm-up {args.warmup:g}s), CPU 1",
                "sync": "python websockets + asyncio HTTP/1.1 keep-alive, uvloop, CPU 1",
            },
            server={
                "uvicorn": c.UVICORN_KWARGS,
                "cpu": c.SERVER_CPU,
                "hutong": "hutong serve, SQLite, fresh data dir",
            },
            detail=detail,
        )
    )


if __name__ == "__main__":
    main()
