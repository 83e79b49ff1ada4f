"""The double-mean split: bounds, sums, and the same expected amount at every position."""

from __future__ import annotations

import math

import pytest

from hutong.redpackets import split


@pytest.mark.parametrize(("total", "count"), [(1, 1), (10, 10), (11, 10), (20_000, 100), (777, 3)])
def test_shares_sum_to_the_total_and_each_gets_at_least_a_fen(total: int, count: int) -> None:
    for _ in range(200):
        shares = split.lucky(total, count)
        assert len(shares) == count
        assert sum(shares) == total
        assert min(shares) >= 1


def test_a_share_never_exceeds_twice_the_mean_of_what_was_left() -> None:
    for _ in range(500):
        left, n = 1000, 10
        for share in split.lucky(1000, 10)[:-1]:
            assert share <= 2 * left // n
            left, n = left - share, n - 1


def test_every_opening_position_has_the_same_expected_amount() -> None:
    """20,000 envelopes of 100 yuan in 10 shares: each position's mean is within 5 standard
    errors of 10 yuan (a biased position — e.g. the last one taking "the rest" — would be off
    by far more)."""
    total, count, trials = 10_000, 10, 20_000
    sums = [0] * count
    squares = [0] * count
    for _ in range(trials):
        for i, x in enumerate(split.lucky(total, count)):
            sums[i] += x
            squares[i] += x * x
    expected = total / count
    for i in range(count):
        mean = sums[i] / trials
        sd = math.sqrt(squares[i] / trials - mean * mean)
        assert abs(mean - expected) < 5 * sd / math.sqrt(trials) + 1, (i, mean, sd)


def test_impossible_splits_are_refused() -> None:
    with pytest.raises(ValueError, match="not enough"):
        split.lucky(9, 10)
    with pytest.raises(ValueError, match="not enough"):
        split.lucky(10, 0)
