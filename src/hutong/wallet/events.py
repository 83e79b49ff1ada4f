"""Sync events the wallet emits. Money events are written to the ledger outbox in the same
transaction as the money and relayed to `SyncLog.emit` (see `outbox.py`); every payload also
carries `tx_id`, the journal entry that moved the money. Amounts are fen.

| kind | to | payload |
| --- | --- | --- |
| wallet.transfer_received | recipient | `transfer_id, from_user_id, to_user_id, amount, note,`
  `expires_at` |
| wallet.transfer_sent | sender (their other devices) | same |
| wallet.transfer_accepted | both | `transfer_id, from_user_id, to_user_id, amount` |
| wallet.transfer_declined | both | same |
| wallet.transfer_returned | both (after 24 h) | same |
| wallet.payment_made | payer | `payment_id, merchant_id, merchant_name, amount, via` |
| wallet.payment_received | merchant owner | same plus `payer_id` |
| wallet.refund_received | payer | `refund_id, payment_id, merchant_id, merchant_name, amount` |
| wallet.refund_made | merchant owner | same |
| wallet.topup | user | `op_id, amount` |
| wallet.withdrawal | user | `op_id, amount, fee, status` ("succeeded" or "failed") |

A client that sees any `wallet.*` event re-reads `GET /wallet` for the new balance.
"""

TRANSFER_RECEIVED = "wallet.transfer_received"
TRANSFER_SENT = "wallet.transfer_sent"
TRANSFER_ACCEPTED = "wallet.transfer_accepted"
TRANSFER_DECLINED = "wallet.transfer_declined"
TRANSFER_RETURNED = "wallet.transfer_returned"
PAYMENT_MADE = "wallet.payment_made"
PAYMENT_RECEIVED = "wallet.payment_received"
REFUND_RECEIVED = "wallet.refund_received"
REFUND_MADE = "wallet.refund_made"
TOPUP = "wallet.topup"
WITHDRAWAL = "wallet.withdrawal"
