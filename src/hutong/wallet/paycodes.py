"""Payment codes: the 18-digit code (and its QR) on the payer's Me → Pay screen that a
merchant's till scans and submits.

    PP HHHHHHHHH OOOOOOO
    |  |         └ 7-digit one-time code: HMAC-SHA256(device secret, "<window>:<n>") mod 10^7
    |  └ 9 random digits naming the device (`wallet_paycode_devices.handle`)
    └ 10–15: 10 + (window mod 6), so a code from another window is refused at a glance

A window is `paycode_period_s` (60 s) long; a code is accepted only within its own window, and
only once: paying with it claims the ledger counter `paycode:<device>:<window>:<n>` (cap 1) in
the same transaction as the payment. After a payment the screen shows the next code of the same
window (n + 1), up to `paycode_per_window` payments a minute.

Each device is enabled with the payment PIN, which is what authorises code payments (like a
card's contactless payments). Its secret is HMAC(server key, a random salt stored with it), so a
copy of the database alone cannot forge codes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hutong.core.errors import NotFound, TooManyRequests
from hutong.core.qrcodes import qr_svg
from hutong.wallet.errors import PaymentCodeExpired, PaymentCodeInvalid
from hutong.wallet.ledger import Counter
from hutong.wallet.ledger.models import LedgerCounter
from hutong.wallet.models import PaycodeDevice
from hutong.wallet.schemas import PaycodeOut
from hutong.wallet.service import CODE_USED

if TYPE_CHECKING:
    from hutong.wallet.service import WalletService


class PayCodes:
    def __init__(self, svc: WalletService) -> None:
        self.svc = svc

    def _window(self) -> int:
        return int(self.svc.clock.now().timestamp() // self.svc.policy.paycode_period_s)

    def _secret(self, salt: str) -> bytes:
        return bytes.fromhex(self.svc.signer.hmac_hex("wallet-paycode", salt))

    @staticmethod
    def _otp(secret: bytes, window: int, n: int) -> str:
        digest = hmac.new(secret, f"{window}:{n}".encode(), hashlib.sha256).digest()
        return f"{int.from_bytes(digest[:8], 'big') % 10**7:07d}"

    @staticmethod
    def _claim(device_id: int, window: int, n: int) -> str:
        return f"paycode:{device_id}:{window}:{n}"

    async def _device(self, session_id: int) -> PaycodeDevice | None:
        async with self.svc.db.read() as s:
            return await s.scalar(
                select(PaycodeDevice).where(
                    PaycodeDevice.session_id == session_id, PaycodeDevice.revoked_at.is_(None)
                )
            )

    async def enabled(self, session_id: int) -> bool:
        return await self._device(session_id) is not None

    async def enable(self, user_id: int, session_id: int, pin: str) -> PaycodeOut:
        """Let this signed-in device show payment codes (a new secret replaces any old one)."""
        await self.svc.pins.verify(user_id, pin)
        now = self.svc.clock.now()
        for _ in range(5):  # a clash of 9 random digits is rare; try another
            try:
                async with self.svc.db.write() as uow:
                    await uow.session.execute(
                        update(PaycodeDevice)
                        .where(
                            PaycodeDevice.session_id == session_id,
                            PaycodeDevice.revoked_at.is_(None),
                        )
                        .values(revoked_at=now)
                    )
                    uow.session.add(
                        PaycodeDevice(
                            user_id=user_id,
                            session_id=session_id,
                            handle=100_000_000 + secrets.randbelow(900_000_000),
                            salt=secrets.token_hex(16),
                            created_at=now,
                        )
                    )
                break
            except IntegrityError:
                continue
        return await self.current(user_id, session_id)

    async def disable(self, user_id: int, session_id: int) -> None:
        async with self.svc.db.write() as uow:
            await uow.session.execute(
                update(PaycodeDevice)
                .where(
                    PaycodeDevice.user_id == user_id,
                    PaycodeDevice.session_id == session_id,
                    PaycodeDevice.revoked_at.is_(None),
                )
                .values(revoked_at=self.svc.clock.now())
            )

    async def current(self, user_id: int, session_id: int) -> PaycodeOut:
        """This device's code for now: the first of this window not yet used."""
        device = await self._device(session_id)
        if device is None or device.user_id != user_id:
            raise NotFound("Payment codes are not enabled on this device.")
        period = self.svc.policy.paycode_period_s
        window = self._window()
        per_window = self.svc.policy.paycode_per_window
        claims = [self._claim(device.id, window, n) for n in range(per_window)]
        async with self.svc.db.read() as s:
            used = set(
                (
                    await s.scalars(
                        select(LedgerCounter.key).where(
                            LedgerCounter.key.in_(claims), LedgerCounter.used > 0
                        )
                    )
                ).all()
            )
        ends = dt.datetime.fromtimestamp((window + 1) * period, dt.UTC)
        fresh = [n for n, key in enumerate(claims) if key not in used]
        if not fresh:
            wait = max(1, int((ends - self.svc.clock.now()).total_seconds()))
            raise TooManyRequests("Too many payments this minute.", retry_after=wait)
        code = f"{10 + window % 6}{device.handle:09d}"
        code += self._otp(self._secret(device.salt), window, fresh[0])
        return PaycodeOut(code=code, expires_at=ends, period_s=period, qr_svg=qr_svg(code).decode())

    async def resolve(self, code: str) -> tuple[int, Counter]:
        """The payer behind a submitted code, and the counter that uses the code up."""
        digits = code.strip()
        if len(digits) != 18 or not digits.isascii() or not digits.isdigit():
            raise PaymentCodeInvalid("A payment code is 18 digits.", fields={"code": "18 digits"})
        prefix = int(digits[:2])
        if not 10 <= prefix <= 15:
            raise PaymentCodeInvalid("Not a payment code.", fields={"code": "starts 10–15"})
        window = self._window()
        if prefix != 10 + window % 6:
            raise PaymentCodeExpired("This payment code has expired; ask for a fresh one.")
        async with self.svc.db.read() as s:
            device = await s.scalar(
                select(PaycodeDevice).where(
                    PaycodeDevice.handle == int(digits[2:11]), PaycodeDevice.revoked_at.is_(None)
                )
            )
        if device is not None:
            secret = self._secret(device.salt)
            for n in range(self.svc.policy.paycode_per_window):
                if hmac.compare_digest(self._otp(secret, window, n), digits[11:]):
                    claim = Counter(self._claim(device.id, window, n), 1, 1, CODE_USED)
                    return device.user_id, claim
        raise PaymentCodeInvalid("This payment code is not valid.", fields={"code": "invalid"})
