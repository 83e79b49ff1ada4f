"""Cutting an envelope into shares.

A lucky envelope uses the "double mean" rule: with `r` fen left for `n` shares, the next share
is uniform in [min, 2 × r / n] (whole fen), never so large that the shares still to come could
not each get `min`; the last share takes the rest. Each draw's mean is about r / n, so every
position in the opening order has the same expected amount (tests/redpackets checks this
statistically). Randomness comes from `secrets`: a share's size must not be predictable.
"""

from __future__ import annotations

import secrets


def lucky(total: int, count: int, min_share: int = 1) -> list[int]:
    """`count` random shares of `total`, each at least `min_share`, summing to `total`."""
    if count < 1 or total < count * min_share:
        raise ValueError("not enough money for that many shares")
    shares: list[int] = []
    left = total
    for n in range(count, 1, -1):
        high = min(2 * left // n, left - min_share * (n - 1))
        share = min_share + secrets.randbelow(high - min_share + 1)
        shares.append(share)
        left -= share
    shares.append(left)
    return shares


def equal(each: int, count: int) -> list[int]:
    return [each] * count
