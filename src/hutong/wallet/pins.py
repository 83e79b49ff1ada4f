"""The payment PIN: 6 digits, separate from the password, argon2id through `core.passwords`.

Every outgoing payment checks it. Wrong answers are counted in the user's `wallet_users` row,
read `FOR UPDATE` inside a write transaction so that concurrent guesses are each counted; the
fifth wrong PIN locks payments for three hours (by the injectable clock) and the problem says
until when. While locked even the right PIN is refused, so guessing cannot continue.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Awaitable, Callable

from sqlalchemy import select

from hutong.core.clock import Clock
from hutong.core.db import Database
from hutong.core.errors import BadCredentials, HutongError, InvalidInput
from hutong.core.passwords import Hasher
from hutong.wallet.errors import PinLocked, PinNotSet, WeakPin, WrongPin
from hutong.wallet.models import WalletUser

PasswordCheck = Callable[[int, str], Awaitable[bool]]


def check_strength(pin: str) -> None:
    """Refuse what a thief tries first: one repeated digit and straight runs."""
    if len(pin) != 6 or not (pin.isascii() and pin.isdigit()):
        raise InvalidInput("A payment PIN is 6 digits.", fields={"pin": "6 digits"})
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    if steps in ({0}, {1}, {-1}):
        raise WeakPin("Not one digit repeated, nor a run like 123456.", fields={"pin": "weak"})


class Pins:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        hasher: Hasher,
        verify_password: PasswordCheck,
        *,
        max_failures: int,
        lock_s: int,
    ) -> None:
        self.db = db
        self.clock = clock
        self.hasher = hasher
        self.verify_password = verify_password
        self.max_failures = max_failures
        self.lock_s = lock_s

    async def state(self, user_id: int) -> WalletUser | None:
        async with self.db.read() as s:
            return await s.get(WalletUser, user_id)

    def locked_until(self, row: WalletUser | None) -> dt.datetime | None:
        if row is None or row.pin_locked_until is None:
            return None
        return row.pin_locked_until if row.pin_locked_until > self.clock.now() else None

    async def set_pin(
        self, user_id: int, pin: str, *, current_pin: str | None, password: str | None
    ) -> None:
        """Set or change the PIN. The first PIN needs the account password; a change needs
        the current PIN or the password (the way back from a forgotten or locked PIN)."""
        check_strength(pin)
        row = await self.state(user_id)
        has_pin = row is not None and row.pin_hash is not None
        if password is not None:
            if not await self.verify_password(user_id, password):
                raise BadCredentials("The password is wrong.")
        elif has_pin and current_pin is not None:
            await self.verify(user_id, current_pin)
        else:
            field = "current_pin" if has_pin else "password"
            needed = "current PIN or your password" if has_pin else "password"
            raise InvalidInput(f"Confirm with your {needed}.", fields={field: "required"})
        new_hash = await self.hasher.hash(pin)
        now = self.clock.now()
        async with self.db.write() as uow:
            found = await uow.session.get(WalletUser, user_id, with_for_update=True)
            if found is None:
                uow.session.add(WalletUser(user_id=user_id, pin_hash=new_hash, updated_at=now))
            else:
                found.pin_hash = new_hash
                found.pin_failures = 0
                found.pin_locked_until = None
                found.updated_at = now

    async def verify(self, user_id: int, pin: str) -> None:
        """Raise unless `pin` is the user's PIN and payments are not locked."""
        await self.verify_row(user_id, pin, await self.state(user_id))

    async def verify_row(self, user_id: int, pin: str, row: WalletUser | None) -> None:
        """`verify`, with the user's row already read (`WalletService.prepare`)."""
        if row is None or row.pin_hash is None:
            raise PinNotSet("Set a payment PIN before paying.")
        until = self.locked_until(row)
        if until is not None:
            raise PinLocked(until)
        ok = len(pin) == 6 and await self.hasher.verify(row.pin_hash, pin)
        if ok and not row.pin_failures:
            return  # the common case costs no write
        failure: HutongError | None = None
        async with self.db.write() as uow:
            fresh = await uow.session.scalar(
                select(WalletUser).where(WalletUser.user_id == user_id).with_for_update()
            )
            assert fresh is not None
            now = self.clock.now()
            until = self.locked_until(fresh)
            if until is not None:  # locked by a concurrent guess meanwhile
                raise PinLocked(until)
            if fresh.pin_locked_until is not None:  # an expired lock starts a fresh count
                fresh.pin_locked_until = None
                fresh.pin_failures = 0
            fresh.updated_at = now
            if ok:
                fresh.pin_failures = 0
            else:
                fresh.pin_failures += 1
                if fresh.pin_failures >= self.max_failures:
                    fresh.pin_failures = 0
                    fresh.pin_locked_until = now + dt.timedelta(seconds=self.lock_s)
                    failure = PinLocked(fresh.pin_locked_until)
                else:
                    failure = WrongPin(self.max_failures - fresh.pin_failures)
        # Raised after the block, so that the count commits instead of rolling back.
        if failure is not None:
            raise failure
