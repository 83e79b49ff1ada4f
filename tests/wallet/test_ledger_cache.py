"""The ledger's account-id cache stays bounded and forgets on request."""

from __future__ import annotations

import pytest

from hutong.app import Container
from hutong.wallet.ledger import service as ledger_service


async def test_the_account_cache_is_bounded_and_forgets(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = container.wallet.ledger
    monkeypatch.setattr(ledger_service, "ACCOUNT_CACHE_SIZE", 5)
    ids = [await ledger.account("test.cache", n) for n in range(1, 9)]
    assert len(ledger._ids) <= 5
    assert len(set(ids)) == 8
    # Evicted ones are found again, with the same id.
    assert await ledger.account("test.cache", 1) == ids[0]
    ledger.forget("test.cache", 1)
    assert ("test.cache", 1) not in ledger._ids
    assert await ledger.account("test.cache", 1) == ids[0]
