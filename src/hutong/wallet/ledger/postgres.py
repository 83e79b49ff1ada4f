"""The ledger writer on PostgreSQL: a whole batch of ops in one round trip.

A PL/pgSQL function applies the batch with exactly the logic of `sqlite.py` (idempotency key,
hold guard, counter guards, guarded balance updates with undo on failure, journal entry with
its chain hash, postings, hold, outbox) and is called as one autocommitted statement, so a batch
costs one network round trip and one commit however many ops it carries.

The function first takes a transaction-scoped advisory lock: the hash chain is one sequence, so
its head is read and extended by one batch at a time across every worker process. Under that
lock the balance guards never wait on row locks, and there is no lock-ordering deadlock to
avoid. Its name carries a digest of its source: a changed definition is installed under a new
name on first use (under another advisory lock, so concurrent workers do not collide), and
code and function can never disagree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from hutong.wallet.ledger.entries import KEY_REUSED, Op, Outcome

# Advisory lock keys: one writer extends the chain at a time (this number is also written
# into the function body below); installing the function is serialised by the next one.
CHAIN_LOCK = 7527619466133906791
INSTALL_LOCK = CHAIN_LOCK + 1

_BODY = r"""
DECLARE
  v_head bigint;
  v_head_hash text;
  v_op jsonb;
  v_e jsonb;
  v_outs text[] := '{}';
  v_found_hash text;
  v_found_outcome text;
  v_tx bigint;
  v_err text;
  v_hold bigint;
  v_outcome text;
  v_digest text;
  v_resolved boolean;
  v_acct bigint;
  v_amt bigint;
  u_acct bigint[];
  u_amt bigint[];
  u_key text[];
  u_delta bigint[];
  i int;
BEGIN
  PERFORM pg_advisory_xact_lock(7527619466133906791);
  SELECT t.id, t.hash INTO v_head, v_head_hash
    FROM ledger_transactions t ORDER BY t.id DESC LIMIT 1;
  IF v_head IS NULL THEN
    v_head := 0;
    v_head_hash := repeat('0', 64);
  END IF;

  FOR v_op IN SELECT value FROM jsonb_array_elements(batch) LOOP
    IF v_op->>'key' <> '' THEN
      SELECT d.request_hash, d.outcome INTO v_found_hash, v_found_outcome
        FROM ledger_idempotency d
        WHERE d.scope = (v_op->>'s')::bigint AND d.key = v_op->>'key';
      IF FOUND THEN
        IF v_found_hash = v_op->>'h' THEN
          v_outs := v_outs || ('R' || v_found_outcome);
        ELSE
          v_outs := v_outs || 'K'::text;
        END IF;
        CONTINUE;
      END IF;
    END IF;

    v_tx := v_head + 1;
    v_err := '';
    v_resolved := false;
    u_acct := '{}'; u_amt := '{}'; u_key := '{}'; u_delta := '{}';

    IF jsonb_typeof(v_op->'res') = 'array' THEN
      UPDATE ledger_holds h SET status = v_op->'res'->>1, resolved_tx_id = v_tx
        WHERE h.id = (v_op->'res'->>0)::bigint AND h.status = 'pending';
      IF FOUND THEN v_resolved := true; ELSE v_err := 'hold-resolved'; END IF;
    END IF;

    IF v_err = '' THEN
      FOR v_e IN SELECT value FROM jsonb_array_elements(v_op->'c') LOOP
        INSERT INTO ledger_counters (key, used) VALUES (v_e->>0, 0) ON CONFLICT DO NOTHING;
        UPDATE ledger_counters k SET used = k.used + (v_e->>1)::bigint
          WHERE k.key = v_e->>0 AND k.used + (v_e->>1)::bigint <= (v_e->>2)::bigint;
        IF NOT FOUND THEN
          v_err := v_e->>3;
          EXIT;
        END IF;
        u_key := u_key || (v_e->>0);
        u_delta := u_delta || (v_e->>1)::bigint;
      END LOOP;
    END IF;

    IF v_err = '' THEN
      FOR v_e IN SELECT value FROM jsonb_array_elements(v_op->'p') LOOP
        v_acct := (v_e->>0)::bigint;
        v_amt := (v_e->>1)::bigint;
        UPDATE ledger_accounts a SET balance = a.balance + v_amt
          WHERE a.id = v_acct AND (a.allow_negative OR a.balance + v_amt >= 0);
        IF NOT FOUND THEN
          v_err := CASE WHEN v_amt < 0 THEN 'insufficient-funds' ELSE 'no-account' END;
          EXIT;
        END IF;
        u_acct := u_acct || v_acct;
        u_amt := u_amt || v_amt;
      END LOOP;
    END IF;

    IF v_err <> '' THEN
      FOR i IN REVERSE coalesce(array_length(u_acct, 1), 0) .. 1 LOOP
        UPDATE ledger_accounts a SET balance = a.balance - u_amt[i] WHERE a.id = u_acct[i];
      END LOOP;
      FOR i IN REVERSE coalesce(array_length(u_key, 1), 0) .. 1 LOOP
        UPDATE ledger_counters k SET used = k.used - u_delta[i] WHERE k.key = u_key[i];
      END LOOP;
      IF v_resolved THEN
        UPDATE ledger_holds h SET status = 'pending', resolved_tx_id = NULL
          WHERE h.id = (v_op->'res'->>0)::bigint;
      END IF;
      v_outcome := format('{"ok":false,"tx":0,"at":%s,"error":"%s"}', v_op->>'at', v_err);
    ELSE
      v_hold := CASE
        WHEN jsonb_typeof(v_op->'hold') = 'object' THEN v_tx
        WHEN jsonb_typeof(v_op->'res') = 'array' THEN (v_op->'res'->>0)::bigint
        ELSE 0 END;
      v_digest := encode(sha256(convert_to(
        v_head_hash || '|' || v_tx || '|' || v_hold || '|' || (v_op->>'tail'), 'UTF8')), 'hex');
      INSERT INTO ledger_transactions (id, kind, at_us, hold_id, hold_action, ref, memo, hash)
        VALUES (v_tx, v_op->>'kind', (v_op->>'at')::bigint, v_hold, v_op->>'ha',
                v_op->>'ref', v_op->>'memo', v_digest);
      INSERT INTO ledger_postings (tx_id, account_id, amount)
        SELECT v_tx, (e->>0)::bigint, (e->>1)::bigint FROM jsonb_array_elements(v_op->'p') e;
      IF jsonb_typeof(v_op->'hold') = 'object' THEN
        INSERT INTO ledger_holds (id, kind, status, source_id, escrow_id, target_id, amount,
                                  owner_id, counterparty_id, expires_at_us)
          VALUES (v_tx, v_op->'hold'->>'kind', 'pending',
                  (v_op->'hold'->>'source')::bigint, (v_op->'hold'->>'escrow')::bigint,
                  (v_op->'hold'->>'target')::bigint, (v_op->'hold'->>'amount')::bigint,
                  (v_op->'hold'->>'owner')::bigint, (v_op->'hold'->>'counterparty')::bigint,
                  (v_op->'hold'->>'expires')::bigint);
      END IF;
      INSERT INTO ledger_outbox (tx_id, user_ids, kind, payload)
        SELECT v_tx, e->>0, e->>1, e->>2 FROM jsonb_array_elements(v_op->'n') e;
      v_head := v_tx;
      v_head_hash := v_digest;
      v_outcome := format('{"ok":true,"tx":%s,"at":%s,"error":""}', v_tx, v_op->>'at');
    END IF;

    IF v_op->>'key' <> '' THEN
      INSERT INTO ledger_idempotency (scope, key, request_hash, outcome, at_us)
        VALUES ((v_op->>'s')::bigint, v_op->>'key', v_op->>'h', v_outcome,
                (v_op->>'at')::bigint);
    END IF;
    v_outs := v_outs || v_outcome;
  END LOOP;
  RETURN v_outs;
END
"""

FUNCTION = "hutong_ledger_apply_" + hashlib.sha256(_BODY.encode()).hexdigest()[:12]
_CREATE = (
    f"CREATE OR REPLACE FUNCTION {FUNCTION}(batch jsonb) RETURNS text[] "
    f"LANGUAGE plpgsql AS $fn${_BODY}$fn$"
)


def asyncpg_dsn(url: str) -> str:
    """The plain libpq URL of an SQLAlchemy `postgresql+asyncpg://` URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _encode(op: Op) -> dict[str, Any]:
    h = op.hold
    return {
        "kind": op.kind,
        "p": op.ordered_postings(),
        "at": op.at_us,
        "s": op.scope,
        "key": op.key,
        "h": op.request_hash,
        "ref": op.ref,
        "memo": op.memo,
        "ha": op.hold_action,
        "tail": op.tail(),
        "c": [[c.key, c.delta, c.cap, c.error] for c in op.counters],
        "res": list(op.resolve) if op.resolve else None,
        "hold": None
        if h is None
        else {
            "kind": h.kind,
            "source": h.source,
            "escrow": h.escrow,
            "target": h.target,
            "amount": h.amount,
            "owner": h.owner_id,
            "counterparty": h.counterparty_id,
            "expires": h.expires_at_us,
        },
        "n": [[json.dumps(list(n.user_ids)), n.kind, json.dumps(n.payload)] for n in op.notices],
    }


def _decode(raw: str) -> Outcome:
    if raw == "K":
        return Outcome(False, error=KEY_REUSED)
    if raw.startswith("R"):
        return Outcome.from_json(raw[1:], replayed=True)
    return Outcome.from_json(raw, replayed=False)


class PgLedgerStore:
    def __init__(self, url: str) -> None:
        self._dsn = asyncpg_dsn(url)
        self._conn: asyncpg.Connection | None = None

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            conn = await asyncpg.connect(self._dsn)
            try:
                await _install(conn)
            except BaseException:
                await conn.close()
                raise
            self._conn = conn
        return self._conn

    async def apply(self, ops: Sequence[Op]) -> list[Outcome]:
        conn = await self._connection()
        payload = json.dumps([_encode(op) for op in ops], separators=(",", ":"))
        try:
            # FUNCTION is a constant of this module, not input.
            raw: list[str] = await conn.fetchval(f"SELECT {FUNCTION}($1::jsonb)", payload)
        except (OSError, asyncpg.exceptions.ConnectionDoesNotExistError):
            # A broken connection is replaced on the next batch. Whether this batch committed
            # is unknown; callers retry with the same idempotency keys, which settles it.
            await self.close()
            raise
        return [_decode(r) for r in raw]

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            if not conn.is_closed():
                await conn.close()


async def _install(conn: asyncpg.Connection) -> None:
    if await conn.fetchval("SELECT to_regprocedure($1) IS NOT NULL", f"{FUNCTION}(jsonb)"):
        return
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", INSTALL_LOCK)
        await conn.execute(_CREATE)
