"""Mint reads for wallets and explorers: the schedule's parameters and the provision of a height."""

from dataclasses import dataclass

from okchain.modules.mint.keeper import reward_at
from okchain.types.params import ChainParams


@dataclass(frozen=True, slots=True)
class MintParams:
    initial_per_block: int
    blocks_per_year: int
    halving_years: int


def params(p: ChainParams) -> MintParams:
    return MintParams(p.mint_initial_per_block, p.mint_blocks_per_year, p.mint_halving_years)


def current_reward(committed_height: int, p: ChainParams) -> int:
    """What the next block, the one after ``committed_height``, mints."""
    return reward_at(committed_height + 1, p)
