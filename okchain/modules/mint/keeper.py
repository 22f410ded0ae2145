"""The block provision: ``mint_initial_per_block`` OKT base units at the first block, halved every
``mint_halving_years × mint_blocks_per_year`` blocks (a count of blocks, not of block time, so the schedule
needs no clock). It is minted into ``FEE_COLLECTOR`` at block begin, where distribution pays it out with the
previous block's fees; the OKT supply rises by the same and ``MINT_TOTAL`` keeps the sum, so
``supply = genesis + minted − burned`` can be checked.
"""

from okchain.modules.accounts import FEE_COLLECTOR
from okchain.modules.auth.keeper import Reader, Store
from okchain.modules.bank import keeper as bank
from okchain.modules.blockinfo import BlockInfo
from okchain.state import schema
from okchain.state.codec import decode_uint, encode_uint
from okchain.types.params import OKT_DENOM, ChainParams


def halving_blocks(params: ChainParams) -> int:
    return params.mint_blocks_per_year * params.mint_halving_years


def reward_at(height: int, params: ChainParams) -> int:
    """OKT base units block ``height`` mints (heights count from 1): an exact right shift, 0 once halved
    past the last base unit."""
    return params.mint_initial_per_block >> (max(height - 1, 0) // halving_blocks(params))


def total_minted(store: Reader) -> int:
    return decode_uint(store.get(schema.MINT_TOTAL))


def begin_block(store: Store, info: BlockInfo, params: ChainParams) -> int:
    """Mint block ``info.height``'s provision into the fee collector; returns the amount."""
    amount = reward_at(info.height, params)
    if amount:
        bank.mint(store, FEE_COLLECTOR, OKT_DENOM, amount)
        store.set(schema.MINT_TOTAL, encode_uint(total_minted(store) + amount))
    return amount
