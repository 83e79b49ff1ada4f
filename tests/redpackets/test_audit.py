"""`hutong ledger audit` covers red envelopes: it passes after envelopes were opened and
refunded, and names an envelope whose rows no longer agree with its ledger account."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

from sqlalchemy import update

from hutong.app import Container
from hutong.redpackets.models import RedEnvelopeShare
from hutong.redpackets.schemas import SendIn
from hutong.settings import Settings
from tests.redpackets.util import PIN, group_of, members
from tests.wallet.test_ledger import run_cli


async def test_the_ledger_audit_checks_every_envelope(
    rp_container: Container, settings: Settings, tmp_path: Path
) -> None:
    c = rp_container
    owner, *others = await members(c, 3)
    chat = await group_of(c, owner, others, money=5_000)
    body = SendIn(kind="lucky", amount=1_000, shares=2, pin=PIN)
    env = await c.redpackets.send(owner.id, chat, body, str(uuid.uuid4()))
    await c.redpackets.open(others[0].id, env.id)
    out = await asyncio.to_thread(run_cli, settings, tmp_path, "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["ok"]
    assert report["envelopes"] == {"ok": True, "envelopes": 1, "violations": []}

    # A share quietly marked opened without money moving is caught.
    async with c.db.write() as uow:
        await uow.session.execute(
            update(RedEnvelopeShare)
            .where(RedEnvelopeShare.envelope_id == env.id, RedEnvelopeShare.opener_id.is_(None))
            .values(opener_id=others[1].id)
        )
    out = await asyncio.to_thread(run_cli, settings, tmp_path)
    assert out.returncode == 1
    assert f"red envelope {env.id}: its account holds" in out.stdout
