"""Mini-program test settings: webhooks may reach the loopback developer backend the tests
run (the operator's switch), the delivery task polls often, and no wallet sweeps."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hutong.settings import Settings
from tests.miniapps.util import Backend


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    marker = request.node.get_closest_marker("settings")
    given = marker.kwargs if marker else {}
    return settings.model_copy(
        update={
            "wallet_sweep_interval_s": 3600.0,
            "miniapp_webhook_allow_private": given.get("miniapp_webhook_allow_private", True),
            "miniapp_webhook_poll_s": 0.05,
            "miniapp_webhook_timeout_s": 2.0,
        }
    )


@pytest.fixture
async def backend() -> AsyncIterator[Backend]:
    """A developer's webhook receiver on a loopback port (outside Hutong: a fake)."""
    b = Backend()
    await b.start()
    try:
        yield b
    finally:
        await b.stop()
