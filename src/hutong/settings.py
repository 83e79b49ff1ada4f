"""One settings object, read from `HUTONG_*` environment variables (and an optional `.env`).

Every value has an embedded default so that `hutong serve` works on a fresh machine: SQLite in
`./var`, in-process pub/sub, media in `./var/media`. The secret key, if not given, is generated
on first run and kept in `<data_dir>/secret_key` so sessions and QR codes survive restarts.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUTONG_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str | None = None
    # Namespaces keys and channels, so several deployments (or test runs) can share one Redis.
    redis_prefix: str = "hutong:"
    media_dir: Path | None = None
    secret_key: str = ""
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1

    currency: str = "CNY"
    max_body_bytes: int = 12 * 1024 * 1024
    avatar_max_bytes: int = 5 * 1024 * 1024
    thumb_side: int = 256

    password_profile: Literal["production", "test"] = "production"  # noqa: S105
    hash_threads: int = 2
    session_cache_ttl_s: int = 60
    session_cache_size: int = 50_000
    cookie_secure: bool = False
    login_fail_limit_account: int = 5
    login_fail_limit_ip: int = 30
    login_fail_window_s: int = 15 * 60
    register_limit_ip: int = 20
    register_window_s: int = 60 * 60
    qr_login_ttl_s: int = 120

    sync_page_max: int = 500
    ws_heartbeat_s: float = 20.0

    # Contacts: re-requests after a decline, searches, contact matching (per request and per
    # UTC day), upload sizes, group QR lifetime. Friend requests in general: `action_limits`.
    contacts_rerequest_limit: int = 2
    contacts_rerequest_window_s: int = 24 * 60 * 60
    contacts_search_limit: int = 120
    contacts_search_window_s: int = 60 * 60
    contacts_match_max_numbers: int = 10_000
    contacts_match_daily_uploads: int = 20
    contacts_match_daily_numbers: int = 50_000
    contacts_scan_max_bytes: int = 8 * 1024 * 1024
    contacts_import_max_bytes: int = 2 * 1024 * 1024
    contacts_group_qr_ttl_s: int = 7 * 24 * 60 * 60
    contacts_default_region: str = "CN"

    # Moderation: how often each worker compares its compiled term lists with the database (a
    # backstop for missed pub/sub messages), and the body limit of the "test this text" box.
    moderation_refresh_s: float = 30.0
    moderation_test_max_bytes: int = 64 * 1024
    # Anti-spam limits per user and action, as comma-separated "count/seconds" windows.
    # Accounts younger than `action_limits_new_account_s` get `action_limits_new` instead.
    action_limits: dict[str, str] = Field(
        default_factory=lambda: {
            "post": "10/60,100/3600",
            "comment": "20/60,300/3600",
            "message": "60/60,1000/3600",
            "friend_request": "10/60,60/3600",
            "report": "10/600,50/86400",
        }
    )
    action_limits_new: dict[str, str] = Field(
        default_factory=lambda: {
            "post": "3/60,20/3600",
            "comment": "5/60,60/3600",
            "message": "20/60,200/3600",
            "friend_request": "3/60,20/3600",
            "report": "3/600,10/86400",
        }
    )
    action_limits_new_account_s: int = 24 * 60 * 60

    chat_max_group: int = 500
    chat_approval_over: int = 40
    chat_text_max: int = 5000
    chat_voice_max_s: float = 60
    chat_image_max_bytes: int = 20 * 1024 * 1024
    chat_file_max_bytes: int = 100 * 1024 * 1024
    chat_recall_s: int = 120
    chat_file_recall_s: int = 3 * 3600
    chat_history_page: int = 50
    chat_link_previews: bool = True
    # Lets previews fetch private and loopback addresses (an intranet deployment, the tests).
    chat_link_allow_private: bool = False

    # Wallet, amounts in fen: one operation moves at most `max_amount`; a user's outgoing money
    # per day (in `wallet_timezone`) is capped at `daily_limit`. The withdrawal fee is in basis
    # points with a minimum. Bank calls time out after `bank_timeout_s`; operations still
    # pending after `reconcile_after_s` are reconciled by the sweep, every `sweep_interval_s`.
    wallet_max_amount: int = 5_000_000
    wallet_daily_limit: int = 20_000_000
    wallet_withdraw_fee_bp: int = 10
    wallet_withdraw_fee_min: int = 10
    wallet_transfer_ttl_s: int = 24 * 60 * 60
    wallet_pin_max_failures: int = 5
    wallet_pin_lock_s: int = 3 * 60 * 60
    wallet_timezone: str = "Asia/Shanghai"
    wallet_bank_timeout_s: float = 10.0
    wallet_reconcile_after_s: int = 120
    wallet_idempotency_ttl_s: int = 48 * 60 * 60
    wallet_sweep_interval_s: float = 5.0
    wallet_paycode_period_s: int = 60
    wallet_paycode_per_window: int = 5
    wallet_merchants_per_user: int = 10
    wallet_cards_per_user: int = 10

    # Red envelopes, amounts in fen: each share at least `min_share`, an envelope at most
    # `max_total`, at most `max_shares` shares (and never more than the group's members); the
    # remainder returns to the sender after `ttl_s`, swept every `sweep_interval_s`.
    redpacket_min_share: int = 1
    redpacket_max_total: int = 20_000
    redpacket_max_shares: int = 100
    redpacket_ttl_s: int = 24 * 60 * 60
    redpacket_sweep_interval_s: float = 5.0

    # Mini-programs: apps run from a separate origin (default: this server's port + 1); bundles
    # are zips checked against these limits (see hutong.miniapps.bundles); login codes live
    # 5 minutes; webhooks retry with backoff and never reach private or loopback addresses
    # unless `miniapp_webhook_allow_private` (an intranet, the demo, the tests).
    miniapp_origin: str = ""
    miniapp_bundle_max_bytes: int = 4 * 1024 * 1024
    miniapp_bundle_max_unpacked: int = 16 * 1024 * 1024
    miniapp_bundle_max_files: int = 500
    miniapp_bundle_max_ratio: int = 100
    miniapp_login_code_ttl_s: int = 300
    miniapp_apps_per_developer: int = 20
    miniapp_webhook_allow_private: bool = False
    miniapp_webhook_timeout_s: float = 5.0
    miniapp_webhook_poll_s: float = 1.0

    # Microblog: post length (Weibo count) and images, the celebrity threshold above which a
    # user's posts are merged into timelines at read time instead of pushed, inactivity after
    # which fan-out skips a follower, stored-timeline sizes, hot search (see MicroblogPolicy).
    # Posting and commenting are throttled by `action_limits` ("post", "comment").
    microblog_max_chars: int = 140
    microblog_max_images: int = 9
    microblog_image_max_bytes: int = 10 * 1024 * 1024
    microblog_celebrity_threshold: int = 10_000
    microblog_inactive_after_s: int = 7 * 24 * 60 * 60
    microblog_timeline_max: int = 800
    microblog_rebuild_size: int = 400
    microblog_follow_backfill: int = 20
    microblog_max_following: int = 5000
    microblog_max_groups: int = 50
    microblog_max_group_members: int = 500
    microblog_fanout_poll_s: float = 1.0
    microblog_live_push_max: int = 2000
    microblog_hot_refresh_s: float = 30.0
    microblog_hot_size: int = 50
    microblog_hot_min_users: int = 2
    microblog_hot_window_s: int = 24 * 60 * 60
    microblog_hot_half_life_s: int = 3 * 60 * 60
    microblog_hot_bucket_s: int = 600
    microblog_hot_posts_window_s: int = 48 * 60 * 60

    log_level: str = "INFO"
    log_json: bool = True
    access_log: bool = True
    trusted_proxies: list[str] = Field(default_factory=list)

    def resolved(self) -> Settings:
        """Fill in values derived from `data_dir`, creating the secret key on first run."""
        data = self.data_dir
        data.mkdir(parents=True, exist_ok=True)
        updates: dict[str, object] = {}
        if not self.database_url:
            updates["database_url"] = f"sqlite+aiosqlite:///{(data / 'hutong.db').resolve()}"
        if self.media_dir is None:
            updates["media_dir"] = data / "media"
        if not self.secret_key:
            key_file = data / "secret_key"
            if not key_file.exists():
                key_file.write_text(secrets.token_urlsafe(48))
                key_file.chmod(0o600)
            updates["secret_key"] = key_file.read_text().strip()
        return self.model_copy(update=updates)

    @property
    def miniapp_origin_or_default(self) -> str:
        """Where mini-programs are served: `miniapp_origin`, or this server's port + 1."""
        return (self.miniapp_origin or f"http://{self.host}:{self.port + 1}").rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
