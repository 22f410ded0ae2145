"""Distribution reads for wallets, explorers and tests: pure functions of a committed-state reader."""

from dataclasses import dataclass

from okchain.crypto.address import Address
from okchain.modules.bank import keeper as bank
from okchain.modules.distribution import keeper as k
from okchain.state.store import KVReader
from okchain.types.params import OKT_DENOM, ChainParams


@dataclass(frozen=True, slots=True)
class DistributionParams:
    community_tax: int  # rates scaled by RATE_ONE
    signer_share: int


def params(p: ChainParams) -> DistributionParams:
    return DistributionParams(p.distribution_community_tax, p.distribution_signer_share)


def pending_rewards(reader: KVReader, addr: bytes) -> list[tuple[Address, int]]:
    """What ``addr`` would withdraw now as a staker, per validator in operator order (commission aside)."""
    return [(op, k.pending(reader, addr, op)) for op, _ in k.stake_records(reader, addr)]


def total_pending(reader: KVReader, addr: bytes) -> int:
    return sum(amount for _, amount in pending_rewards(reader, addr))


def outstanding(reader: KVReader, operator: bytes) -> int:
    """What a validator's stakers are owed and have not settled, in whole base units."""
    return k.get_rewards(reader, operator).owed // k.SCALE


def commission(reader: KVReader, operator: bytes) -> int:
    return k.get_commission(reader, operator)


def community_pool(reader: KVReader) -> int:
    return bank.get_balance(reader, k.COMMUNITY_POOL, OKT_DENOM)
