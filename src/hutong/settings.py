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
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
