"""OKChain's vote weight in exact integers: ``shares = tokens × 2^(weeks since 2000-01-01 UTC / 52)``.

Weeks are whole weeks of block time (OKChain's rule), so the weight changes once a week. The weight is
``⌊2^(weeks/52) · 10^18⌋`` exactly: the integer 52nd root of ``2^weeks · 10^(18·52)`` by integer Newton
iteration, so it is the true value floored to 18 decimals (relative error below 10^-18, no float anywhere)
and every node computes the same integer. Shares are ``⌊tokens · weight / 10^18⌋`` in base units.
"""

from functools import lru_cache

WEIGHT_ONE = 10**18
_EPOCH_S = 946_684_800  # 2000-01-01T00:00:00Z
_WEEK_S = 7 * 86_400
_WEEKS_PER_DOUBLING = 52


def iroot(n: int, k: int) -> int:
    """⌊n^(1/k)⌋ for n ≥ 0: Newton's iteration from above decreases strictly until it reaches the floor."""
    if n < 2:
        return n
    x = 1 << -(-n.bit_length() // k)
    while True:
        y = ((k - 1) * x + n // x ** (k - 1)) // k
        if y >= x:
            return x
        x = y


def weeks_since_2000(time_ns: int) -> int:
    """Whole weeks of block time since 2000-01-01 UTC (0 before it)."""
    return max(0, (time_ns // 10**9 - _EPOCH_S) // _WEEK_S)


@lru_cache(maxsize=64)
def weight_of_weeks(weeks: int) -> int:
    return iroot(2**weeks * WEIGHT_ONE**_WEEKS_PER_DOUBLING, _WEEKS_PER_DOUBLING)


def weight(time_ns: int, constant: bool) -> int:
    """The weight (scaled by 10^18) of a vote cast at ``time_ns``; 1 when the constant-weight param is on."""
    return WEIGHT_ONE if constant else weight_of_weeks(weeks_since_2000(time_ns))


def shares(tokens: int, scaled_weight: int) -> int:
    return tokens * scaled_weight // WEIGHT_ONE
