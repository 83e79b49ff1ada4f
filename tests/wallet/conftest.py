"""Wallet test settings: a bank that times out fast, and no background sweep (tests call
`container.wallet.sweep()` themselves, after moving the manual clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hutong.app import Container
from hutong.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "wallet_bank_timeout_s": 0.3,
            "wallet_sweep_interval_s": 3600.0,
            "wallet_reconcile_after_s": 60,
        }
    )


@pytest.fixture
async def wallet_container(container: Container) -> AsyncIterator[Container]:
    """The container for service-level tests (no server, so no lifespan): its ledger writer
    is stopped and its connection pool closed afterwards, or idle connections would pile up
    test after test on a shared PostgreSQL."""
    yield container
    await container.wallet.stop()
    await container.db.dispose()
