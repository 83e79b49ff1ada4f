"""Composition root: the only module that builds every part and wires them together."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from hutong import __version__
from hutong.accounts import (
    AccountService,
    LoginPolicy,
    QrLoginService,
    SessionAuthenticator,
    SessionCache,
)
from hutong.accounts.routes import router as accounts_router
from hutong.chat import ChatDeps, ChatMediaService, ChatPolicy, ChatService, GroupService
from hutong.chat import expand_messages as expand_chat_messages
from hutong.chat.links import LinkPolicy, LinkPreviewer
from hutong.chat.routes import SendShortcut
from hutong.chat.routes import router as chat_router
from hutong.chat.sources import MessageSource
from hutong.contacts import ContactsPolicy, ContactsService
from hutong.contacts.routes import router as contacts_router
from hutong.core.clock import Clock, SystemClock
from hutong.core.db import Database
from hutong.core.errors import NotFound
from hutong.core.http import BodyLimitMiddleware, RequestContextMiddleware, install_error_handlers
from hutong.core.media import MediaStore
from hutong.core.observability import Metrics, configure_logging
from hutong.core.passwords import Hasher
from hutong.core.pubsub import PubSub, make_pubsub
from hutong.core.qrcodes import QrRegistry
from hutong.core.ratelimit import (
    ActionLimits,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
)
from hutong.core.routes import router as platform_router
from hutong.core.signing import Signer
from hutong.microblog import MicroblogPolicy, MicroblogService
from hutong.microblog.routes import router as microblog_router
from hutong.miniapps import MiniAppPolicy, MiniApps
from hutong.miniapps.host import MiniAppHost
from hutong.miniapps.host_routes import router as miniapp_host_router
from hutong.miniapps.routes import router as miniapps_router
from hutong.miniapps.runtime import build_runtime_app
from hutong.moderation import Moderation
from hutong.moderation.routes import router as moderation_router
from hutong.realtime import Gateway, Presence, SyncLog
from hutong.realtime.routes import SocketShortcut
from hutong.realtime.routes import router as realtime_router
from hutong.redpackets import RedPacketPolicy, RedPackets, TransferMessages
from hutong.redpackets.routes import router as redpackets_router
from hutong.settings import Settings
from hutong.wallet import Ledger, SandboxBank, WalletPolicy, WalletService
from hutong.wallet.routes import router as wallet_router
from hutong.web.routes import STATIC, ClientFiles
from hutong.web.routes import router as web_router


@dataclass
class Container:
    """Everything a running Hutong holds; also what the CLI and tests use directly."""

    settings: Settings
    clock: Clock
    db: Database
    pubsub: PubSub
    limiter: RateLimiter
    signer: Signer
    media: MediaStore
    metrics: Metrics
    sync_log: SyncLog
    gateway: Gateway
    qr: QrRegistry
    session_cache: SessionCache
    authenticator: SessionAuthenticator
    accounts: AccountService
    qrlogin: QrLoginService
    contacts: ContactsService
    chats: ChatService
    groups: GroupService
    chat_media: ChatMediaService
    microblog: MicroblogService
    moderation: Moderation
    limits: ActionLimits
    wallet: WalletService
    redpackets: RedPackets
    miniapps: MiniApps
    miniapp_host: MiniAppHost

    async def start(self) -> None:
        await self.pubsub.start()
        await self.session_cache.start()
        await self.gateway.presence.start()
        await self.moderation.start()
        await self.microblog.start()
        await self.wallet.start()
        await self.redpackets.start()
        await self.miniapps.start()

    async def stop(self) -> None:
        await self.microblog.stop()
        await self.chats.writer.drain()
        await self.chats.background.drain()
        await self.redpackets.stop()
        await self.miniapps.stop()
        await self.wallet.stop()
        await self.gateway.presence.stop()
        await self.moderation.stop()
        await self.pubsub.stop()
        if isinstance(self.limiter, RedisRateLimiter):
            await self.limiter.close()
        await self.db.dispose()


def build_container(settings: Settings, *, clock: Clock | None = None) -> Container:
    settings = settings.resolved()
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    pubsub = make_pubsub(settings.redis_url, settings.redis_prefix)
    limiter: RateLimiter = (
        RedisRateLimiter(settings.redis_url, prefix=settings.redis_prefix + "rl:")
        if settings.redis_url
        else MemoryRateLimiter()
    )
    signer = Signer(settings.secret_key)
    assert settings.media_dir is not None
    media = MediaStore(settings.media_dir)
    metrics = Metrics()
    sync_log = SyncLog(db, pubsub, clock, metrics)
    presence = Presence(settings.redis_url, prefix=settings.redis_prefix)
    gateway = Gateway(
        sync_log,
        pubsub,
        metrics,
        heartbeat_s=settings.ws_heartbeat_s,
        page=settings.sync_page_max,
        presence=presence,
    )
    qr = QrRegistry(signer, clock)
    cache = SessionCache(
        pubsub, ttl_s=settings.session_cache_ttl_s, max_size=settings.session_cache_size
    )
    authenticator = SessionAuthenticator(db, cache, signer, clock)
    hasher = Hasher(settings.password_profile, max_threads=settings.hash_threads)
    policy = LoginPolicy(
        fail_limit_account=settings.login_fail_limit_account,
        fail_limit_ip=settings.login_fail_limit_ip,
        fail_window_s=settings.login_fail_window_s,
        register_limit_ip=settings.register_limit_ip,
        register_window_s=settings.register_window_s,
    )
    # Moderation comes first: every domain that stores user text requires its content policy.
    moderation = Moderation(db, pubsub, clock, refresh_s=settings.moderation_refresh_s)
    accounts = AccountService(
        db, clock, hasher, limiter, policy, cache, sync_log, media, content=moderation.policy
    )
    qrlogin = QrLoginService(accounts, signer, sync_log, settings.qr_login_ttl_s)

    async def account_created(user_id: int) -> dt.datetime | None:
        try:
            return (await accounts.me(user_id)).created_at
        except NotFound:
            return None

    # Anti-spam limits per user and action, for every domain (posts, messages, reports…).
    limits = ActionLimits(
        limiter,
        clock,
        normal=settings.action_limits,
        new=settings.action_limits_new,
        new_account_s=settings.action_limits_new_account_s,
        created_at=account_created,
    )
    # Reports, decisions and appeals act on accounts; domains register their content below
    # (`moderation.sources.register("post", ...)`).
    moderation.connect(accounts, sync_log, limits)
    qr.register("login", qrlogin.resolve)
    contacts = ContactsService(
        db,
        clock,
        accounts,
        sync_log,
        limiter,
        signer,
        media,
        ContactsPolicy(
            **{f.name: getattr(settings, f"contacts_{f.name}") for f in fields(ContactsPolicy)}
        ),
        limits=limits,
    )
    contacts.register_qr(qr)
    accounts.on_contact_points_changed(contacts.directory.on_contact_points_changed)
    accounts.add_profile_guard(contacts.may_view_profile)
    chat_deps = ChatDeps(
        db=db,
        clock=clock,
        sync=sync_log,
        contacts=contacts,
        accounts=accounts,
        media=media,
        content=moderation.policy,
        policy=ChatPolicy(
            **{f.name: getattr(settings, f"chat_{f.name}") for f in fields(ChatPolicy)}
        ),
    )
    previewer = (
        LinkPreviewer(LinkPolicy(allow_private=settings.chat_link_allow_private), media)
        if settings.chat_link_previews
        else None
    )
    chats = ChatService(chat_deps, previewer, presence)
    # Messages can be reported (the reporter's copy is kept); removing one recalls it.
    moderation.sources.register("message", MessageSource(chats))
    groups = GroupService(chat_deps, chats)
    chat_media = ChatMediaService(chat_deps)

    async def expand(user_id: int, payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return await expand_chat_messages(chat_deps, user_id, payloads)

    sync_log.register_expander("chat.message", expand)
    gateway.on_client_message("typing", chats.typing)
    gateway.on_presence(chats.announce_presence)
    contacts.qr.set_group_describer(groups.describe_for_qr)
    wallet = WalletService(
        db,
        clock,
        Ledger(db, clock),
        hasher,
        accounts,
        contacts,
        sync_log,
        signer,
        limiter,
        SandboxBank(path=settings.data_dir / "sandbox_bank.jsonl"),
        WalletPolicy(
            **{f.name: getattr(settings, f"wallet_{f.name}") for f in fields(WalletPolicy)}
        ),
        content=moderation.policy,
        currency=settings.currency,
    )
    wallet.register_qr(qr)
    redpackets = RedPackets(
        db,
        clock,
        wallet,
        chat_deps,
        chats,
        RedPacketPolicy(
            **{f.name: getattr(settings, f"redpacket_{f.name}") for f in fields(RedPacketPolicy)}
        ),
    )
    # Friend transfers appear in the friends' chat, posted with the delivery of their events.
    wallet.outbox.on_relay(TransferMessages(chat_deps), TransferMessages.KINDS)
    microblog = MicroblogService(
        db,
        clock,
        accounts,
        contacts,
        sync_log,
        media,
        MicroblogPolicy(
            **{f.name: getattr(settings, f"microblog_{f.name}") for f in fields(MicroblogPolicy)}
        ),
        content=moderation.policy,
        limits=limits,
    )
    # Posts and comments can be reported; a held post is published when a moderator approves.
    moderation.sources.register("post", microblog.post_source)
    moderation.sources.register("comment", microblog.comment_source)
    # Mini-programs run from a second origin: by default this server's port + 1.
    miniapps = MiniApps(
        db,
        clock,
        wallet,
        accounts,
        signer,
        media,
        settings.data_dir / "miniapps",
        MiniAppPolicy(
            **{
                f.name: getattr(settings, f"miniapp_{f.name}")
                for f in fields(MiniAppPolicy)
                if f.name != "origin"
            },
            origin=settings.miniapp_origin_or_default,
        ),
        content=moderation.policy,
    )
    # What the host client does for a running app: consent, app cards in chats, app QR codes.
    miniapp_host = MiniAppHost(miniapps, chat_deps, chats, qr, settings.public_url)
    return Container(
        settings=settings,
        clock=clock,
        db=db,
        pubsub=pubsub,
        limiter=limiter,
        signer=signer,
        media=media,
        metrics=metrics,
        sync_log=sync_log,
        gateway=gateway,
        qr=qr,
        session_cache=cache,
        authenticator=authenticator,
        accounts=accounts,
        qrlogin=qrlogin,
        contacts=contacts,
        chats=chats,
        groups=groups,
        chat_media=chat_media,
        microblog=microblog,
        moderation=moderation,
        limits=limits,
        wallet=wallet,
        redpackets=redpackets,
        miniapps=miniapps,
        miniapp_host=miniapp_host,
    )


def build_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """The ASGI application for `settings` (from the environment when not given)."""
    settings = settings or Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    container = build_container(settings, clock=clock)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await container.start()
        try:
            yield
        finally:
            await container.stop()

    app = FastAPI(
        title="Hutong",
        version=__version__,
        description="Chat, contacts, wallet, red envelopes, mini-programs and a microblog.",
        lifespan=lifespan,
        # FastAPI's built-in tracing probes cost ~10 µs a request; Hutong exports Prometheus.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    for name, value in vars(container).items():
        setattr(app.state, name, value)
    app.state.container = container
    install_error_handlers(app)
    # Hot routers first: routing tries each route in order, about a microsecond apiece.
    app.include_router(accounts_router)
    app.include_router(realtime_router)
    app.include_router(chat_router)
    app.include_router(contacts_router)
    app.include_router(microblog_router)
    app.include_router(moderation_router)
    app.include_router(wallet_router)
    app.include_router(redpackets_router)
    app.include_router(miniapps_router)
    app.include_router(miniapp_host_router)
    app.include_router(platform_router)
    app.include_router(web_router)
    app.mount("/static", ClientFiles(directory=STATIC), name="static")
    app.add_middleware(SendShortcut)  # innermost: a chat send skips the router (chat.routes)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=container.settings.max_body_bytes,
        # Chat files may be far larger than any other request (multipart overhead included).
        overrides=[(r"/chats/\d+/media", container.settings.chat_file_max_bytes + 64 * 1024)],
    )
    app.add_middleware(
        RequestContextMiddleware, metrics=container.metrics, access_log=settings.access_log
    )
    app.add_middleware(SocketShortcut)  # outermost: sockets skip the layers above
    return app


class Origins:
    """Hutong and the mini-program origin from one process. A request that arrived on the
    mini-program port (when it differs from Hutong's), or that names the mini-program host,
    goes to the runtime, which knows nothing of sessions; everything else, lifespan included,
    goes to Hutong."""

    def __init__(self, main: FastAPI, runtime: ASGIApp, origin: str, main_port: int) -> None:
        parts = urlsplit(origin)
        self.main = main
        self.runtime = runtime
        self.netloc = parts.netloc.encode().lower()
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.main_port = main_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._is_runtime(scope):
            await self.runtime(scope, receive, send)
        else:
            await self.main(scope, receive, send)

    def _is_runtime(self, scope: Scope) -> bool:
        server = scope.get("server")
        if server and server[1] == self.port and self.port != self.main_port:
            return True
        return any(k == b"host" and v.lower() == self.netloc for k, v in scope["headers"])


def create_app() -> Origins:
    """Factory for `uvicorn --factory hutong.app:create_app` (each worker builds its own)."""
    settings = Settings()
    app = build_app(settings)
    container: Container = app.state.container
    host_origin = "{0.scheme}://{0.netloc}".format(urlsplit(settings.public_url))
    runtime = build_runtime_app(container.miniapps, host_origin)
    return Origins(app, runtime, settings.miniapp_origin_or_default, settings.port)
