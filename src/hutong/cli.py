"""`hutong` — serve, migrate, create-admin, demo, ledger audit | reconcile."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from hutong.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(database_url: str) -> object:
    from alembic.config import Config

    here = Path(__file__).resolve().parent
    ini = ROOT / "alembic.ini"
    cfg = Config(str(ini)) if ini.exists() else Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if not (ROOT / "migrations").exists():  # installed as a wheel
        cfg.set_main_option("script_location", str(here / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def migrate(settings: Settings, revision: str = "head") -> None:
    """Bring the database schema up to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(settings.database_url), revision)  # type: ignore[arg-type]


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sys.exit(f"cannot listen on {host}:{port}: {exc.strerror}")
    sock.set_inheritable(True)
    return sock


def _serving_env(settings: Settings, host: str, port: int) -> str:
    """Hand workers (separate processes that build their own app from the environment) the
    resolved values, so they agree on the database, the generated secret key and the origins;
    the mini-program origin."""
    os.environ["HUTONG_DATABASE_URL"] = settings.database_url
    os.environ["HUTONG_SECRET_KEY"] = settings.secret_key
    os.environ["HUTONG_MEDIA_DIR"] = str(settings.media_dir)
    os.environ["HUTONG_HOST"] = host
    os.environ["HUTONG_PORT"] = str(port)
    local = host not in {"0.0.0.0", "::", ""}  # noqa: S104 (recognising, not binding)
    if local and "public_url" not in settings.model_fields_set:
        os.environ["HUTONG_PUBLIC_URL"] = f"http://{host}:{port}"
    # Mini-programs run from their own origin: by default this server's port + 1, served by
    # the same workers (a second listening socket; `hutong.app.Origins` tells them apart).
    origin = settings.miniapp_origin or f"http://{host if local else '127.0.0.1'}:{port + 1}"
    os.environ["HUTONG_MINIAPP_ORIGIN"] = origin
    return origin


def _start_examples() -> list[subprocess.Popen[bytes]]:
    """The example mini-programs' backends, if `hutong demo` installed them. They listen on
    loopback, so the operator (the demo) allows webhooks to private addresses unless the
    environment says otherwise."""
    from hutong.miniapps.demo import example_processes

    examples = example_processes(Settings().resolved())
    if examples and "HUTONG_MINIAPP_WEBHOOK_ALLOW_PRIVATE" not in os.environ:
        os.environ["HUTONG_MINIAPP_WEBHOOK_ALLOW_PRIVATE"] = "true"
        print("example mini-programs installed: webhooks may go to loopback addresses")
    for cmd, env in examples:
        print(f"example backend {Path(cmd[-1]).parent.name} at {env['PUBLIC_URL']}", flush=True)
    return [subprocess.Popen(cmd, env=env) for cmd, env in examples]  # noqa: S603 (ours)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    settings = Settings().resolved()
    host = args.host or settings.host
    port = args.port or settings.port
    if not args.no_migrate:
        migrate(settings)
    origin = _serving_env(settings, host, port)
    workers = args.workers or settings.workers
    if workers > 1 and not settings.redis_url:
        # In-process pub/sub does not cross processes: events and session revocations would
        # reach only the worker that produced them.
        print("several workers need HUTONG_REDIS_URL (pub/sub between them)", file=sys.stderr)
        return 2
    sockets = [_listen(host, port)]
    parts = urlsplit(origin)
    if parts.hostname in {"127.0.0.1", "localhost", "::1", host} and parts.port not in {None, port}:
        assert parts.port is not None
        sockets.append(_listen(host, parts.port))
    backends = [] if args.no_examples else _start_examples()
    config = uvicorn.Config(
        "hutong.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        access_log=False,
        log_level="warning",
        ws_ping_interval=None,
        # Compression would keep a zlib context per socket (~100 KiB each, most of an idle
        # socket's memory) and deflate every frame; chat frames are small JSON.
        ws_per_message_deflate=False,
    )
    print(f"Hutong is serving at http://{host}:{port} (mini-programs at {origin})", flush=True)
    server = uvicorn.Server(config)
    try:
        if workers > 1:
            Multiprocess(config, sockets=sockets).run()
        else:
            server.run(sockets=sockets)
    except KeyboardInterrupt:
        pass
    finally:
        _stop(backends)
    return 0 if workers > 1 or server.started else 1


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = Settings().resolved()
    migrate(settings, args.revision)
    print(f"database at {args.revision}")
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    from hutong.accounts.schemas import normalise_handle
    from hutong.app import build_container
    from hutong.core.errors import HutongError, NotFound

    settings = Settings().resolved()
    migrate(settings)
    handle = normalise_handle(args.handle)
    password = args.password or os.environ.get("HUTONG_ADMIN_PASSWORD") or getpass.getpass()
    if len(password) < 8:
        print("password must be at least 8 characters", file=sys.stderr)
        return 2

    async def run() -> None:
        c = build_container(settings)
        try:
            try:
                await c.accounts.set_password(handle, password, role="admin")
                print(f"{handle} is now an admin (password reset)")
            except NotFound:
                await c.accounts.register(
                    handle,
                    password,
                    args.display_name or handle,
                    device_name="hutong cli",
                    ip="",
                    role="admin",
                    allow_reserved=True,
                )
                print(f"created admin {handle}")
        finally:
            await c.stop()

    try:
        asyncio.run(run())
    except HutongError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from hutong.demo import run_demo

    settings = Settings().resolved()
    migrate(settings)
    asyncio.run(run_demo(settings, users=args.users, password=args.password))
    return 0


def cmd_ledger_audit(args: argparse.Namespace) -> int:
    """Exit 0 if every ledger invariant holds, 1 (naming the first violation) otherwise."""
    import json

    from hutong.core.clock import SystemClock
    from hutong.core.db import Database
    from hutong.redpackets import audit as audit_envelopes
    from hutong.wallet import Ledger, audit

    anchors: list[tuple[int, str]] = []
    for anchor in args.anchor or []:
        ident, _, digest = anchor.partition(":")
        if not ident.isdigit() or len(digest) != 64:
            print(f"bad anchor {anchor!r}: expected ID:HASH", file=sys.stderr)
            return 2
        anchors.append((int(ident), digest))
    settings = Settings().resolved()

    async def run() -> int:
        db = Database(settings.database_url)
        ledger = Ledger(db, SystemClock())
        try:
            report = await audit(db, anchors=anchors)
            envelopes = await audit_envelopes(db, ledger)  # each red envelope vs its account
        finally:
            await ledger.close()
            await db.dispose()
        if args.json:
            print(json.dumps({**report.as_dict(), "envelopes": envelopes.as_dict()}))
        else:
            print(report.summary())
            print(f"envelopes: {'OK' if envelopes.ok else 'VIOLATIONS'} — {envelopes.envelopes}")
            for v in envelopes.violations[:20]:
                print(f"  {v}")
        return 0 if report.ok and envelopes.ok else 1

    return asyncio.run(run())


def cmd_ledger_reconcile(args: argparse.Namespace) -> int:
    from hutong.app import build_container

    settings = Settings().resolved()

    async def run() -> int:
        c = build_container(settings)
        try:
            n = await c.wallet.banking.reconcile(older_than_s=args.older_than)
            await c.wallet.outbox.drain()
        finally:
            await c.stop()
        return n

    print(f"settled {asyncio.run(run())} pending bank operation(s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hutong", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the server (migrates first)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int)
    p.add_argument("--no-migrate", action="store_true")
    p.add_argument(
        "--no-examples", action="store_true", help="do not start the example apps' backends"
    )
    p.set_defaults(fn=cmd_serve)

    p = sub.add_parser("migrate", help="upgrade the database schema")
    p.add_argument("revision", nargs="?", default="head")
    p.set_defaults(fn=cmd_migrate)

    p = sub.add_parser("create-admin", help="create an admin account, or promote and reset one")
    p.add_argument("handle")
    p.add_argument("--password", help="else $HUTONG_ADMIN_PASSWORD, else asked")
    p.add_argument("--display-name")
    p.set_defaults(fn=cmd_create_admin)

    p = sub.add_parser("demo", help="fill this instance with a believable world")
    p.add_argument("--users", type=int, default=40)
    p.add_argument("--password", default="hutong-demo", help="password of every demo user")
    p.set_defaults(fn=cmd_demo)

    p = sub.add_parser("ledger", help="check the wallet's ledger, settle stuck bank operations")
    ledger = p.add_subparsers(dest="ledger_command", required=True)
    p = ledger.add_parser("audit", help="verify balances, postings, holds and the hash chain")
    p.add_argument("--anchor", action="append", metavar="ID:HASH", help="a head seen earlier")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(fn=cmd_ledger_audit)
    p = ledger.add_parser("reconcile", help="ask the bank about pending top-ups/withdrawals")
    p.add_argument("--older-than", type=float, default=0.0, metavar="SECONDS")
    p.set_defaults(fn=cmd_ledger_reconcile)

    args = parser.parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    raise SystemExit(main())
