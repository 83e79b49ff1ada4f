"""Every domain's tables, for Alembic and the tests: importing this registers them all."""

from hutong.accounts import models as accounts_models
from hutong.chat import models as chat_models
from hutong.contacts import models as contacts_models
from hutong.core.db import Base
from hutong.microblog import models as microblog_models
from hutong.miniapps import models as miniapps_models
from hutong.moderation import models as moderation_models
from hutong.realtime import models as realtime_models
from hutong.redpackets import models as redpackets_models
from hutong.wallet import models as wallet_models

metadata = Base.metadata

# Database objects the models do not describe, made by migrations for one dialect: the chat
# search index (an FTS5 table and its shadow tables on SQLite, a pg_trgm index on PostgreSQL).
UNMODELLED = ("chat_messages_fts", "ix_chat_messages_search_trgm")


def include_object(
    _obj: object, name: str | None, _type: str, reflected: bool, _compare_to: object
) -> bool:
    """For Alembic's comparisons: leave out what only migrations make (see `UNMODELLED`)."""
    return not (reflected and name is not None and name.startswith(UNMODELLED))


__all__ = [
    "accounts_models",
    "chat_models",
    "contacts_models",
    "include_object",
    "metadata",
    "microblog_models",
    "miniapps_models",
    "moderation_models",
    "realtime_models",
    "redpackets_models",
    "wallet_models",
]
