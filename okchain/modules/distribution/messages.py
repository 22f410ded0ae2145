"""Distribution messages as domain types."""

from dataclasses import dataclass

from okchain.crypto.address import Address


@dataclass(frozen=True, slots=True)
class WithdrawRewards:
    """Pay the signer's staking rewards from ``validator`` (``None``: from every validator) and its
    commission if it operates a validator."""

    validator: Address | None = None


DistributionMsg = WithdrawRewards
