"""Red-envelope test settings: no background sweeps (tests sweep after moving the clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hutong.app import Container
from hutong.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"wallet_sweep_interval_s": 3600.0, "redpacket_sweep_interval_s": 3600.0}
    )


@pytest.fixture
async def rp_container(container: Container) -> AsyncIterator[Container]:
    """For service-level tests (no server): stop the ledger writer and pool afterwards."""
    yield container
    await container.wallet.stop()
    await container.db.dispose()
