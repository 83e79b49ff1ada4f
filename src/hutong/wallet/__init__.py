"""Wallet and payments: a double-entry ledger (`ledger/`), top-up and withdrawal through a bank
gateway, a payment PIN and daily limits, transfers to friends, merchants with collect-money QR
codes and payment codes, refunds, and statements.

Other parts of Hutong use `WalletService` (built once in `app.py`, `container.wallet`): its
`ledger` to move money for their own features (red envelopes hold money in the
`ESCROW_REDPACKET` account with `Ledger.submit` and an `Op` carrying their idempotency key),
and `audit` for `hutong ledger audit`.
"""

from hutong.wallet.bank import BankGateway, BankResult, LinkedCard, SandboxBank
from hutong.wallet.ledger import AuditReport, Ledger, audit
from hutong.wallet.service import WalletPolicy, WalletService

__all__ = [
    "AuditReport",
    "BankGateway",
    "BankResult",
    "Ledger",
    "LinkedCard",
    "SandboxBank",
    "WalletPolicy",
    "WalletService",
    "audit",
]
