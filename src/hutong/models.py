"""Every domain's tables, for Alembic and the tests: importing this registers them all."""

from hutong.accounts import models as accounts_models
from hutong.chat import models as chat_models
from hutong.contacts import models as contacts_models
from hutong.core.db import Base
from hutong.microblog import models as microblog_models
from hutong.moderation import models as moderation_models
from hutong.realtime import models as realtime_models
from hutong.wallet import models as wallet_models

metadata = Base.metadata

__all__ = [
    "accounts_models",
    "chat_models",
    "contacts_models",
    "metadata",
    "microblog_models",
    "moderation_models",
    "realtime_models",
    "wallet_models",
]
