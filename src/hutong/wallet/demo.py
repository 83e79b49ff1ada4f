"""Wallets for `hutong demo`: a PIN, a sandbox card and some money for every demo user, a few
shops with their collect-money codes, and a history of payments and transfers (some still
waiting to be accepted) so that bills and merchant views have something to show."""

from __future__ import annotations

import random
import uuid

from tqdm import tqdm

from hutong.core.errors import HutongError
from hutong.wallet.schemas import MerchantIn, PayIn, TopupIn, TransferIn
from hutong.wallet.service import WalletService

DEMO_PIN = "258036"
SHOPS = ["Lao Wang Noodles", "胡同茶馆", "Corner Books", "小李水果店", "Bike Repair Ma"]


async def fill_wallets(
    wallet: WalletService,
    uids: list[int],
    password: str,
    rng: random.Random,
) -> dict[str, int]:
    """Give the demo world money and a history; returns what was made."""
    made = {"wallets": 0, "shops": 0, "payments": 0, "transfers": 0}
    for uid in tqdm(uids, desc="wallets", unit="user"):
        try:
            await wallet.pins.set_pin(uid, DEMO_PIN, current_pin=None, password=password)
            card = await wallet.banking.link_card(uid, "4242 4242 4242 4242")
            amount = rng.randrange(200, 5_000) * 100
            await wallet.banking.topup(uid, TopupIn(card_id=card.id, amount=amount), _key())
            made["wallets"] += 1
        except HutongError:
            continue
    shops = []
    for name, owner in zip(SHOPS, rng.sample(uids, min(len(SHOPS), len(uids))), strict=False):
        shop = await wallet.merchants.open(owner, MerchantIn(name=name), "")
        shops.append((owner, shop.collect_qr.token))
        made["shops"] += 1
    for uid in tqdm(uids, desc="payments", unit="user"):
        for owner, token in rng.sample(shops, min(2, len(shops))):
            if owner == uid:
                continue
            pay = PayIn(qr_token=token, amount=rng.randrange(5, 300) * 100, pin=DEMO_PIN)
            try:
                await wallet.merchants.pay(uid, pay, _key())
                made["payments"] += 1
            except HutongError:
                continue
        for friend in sorted(await wallet.contacts.friend_ids(uid))[:2]:
            body = TransferIn(
                to_user_id=friend, amount=rng.randrange(1, 200) * 100, note="🍜", pin=DEMO_PIN
            )
            try:
                sent = await wallet.transfers.send(uid, body, _key())
                if rng.random() < 0.7:
                    await wallet.transfers.accept(friend, sent.id, _key())
                made["transfers"] += 1
            except HutongError:
                continue
    await wallet.outbox.drain()
    return made


def _key() -> str:
    return uuid.uuid4().hex
