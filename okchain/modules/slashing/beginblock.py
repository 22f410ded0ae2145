"""The slashing block begin: count each validator's signature into its window, jail the absent, and
tombstone the double signers the block's evidence names.

Runs once per block before its txs, over the previous height's set (at most ``staking_max_validators``
keys, plus any genesis validators) and the block's evidence (at most ``max_block_evidence`` pieces), so its
work is bounded whatever the number of voters: voters of a tombstoned validator are slashed when they next
touch their deposit, not here.
"""

from dataclasses import replace

from okchain.modules.blockinfo import BlockInfo, Misbehaviour, VoteInfo
from okchain.modules.distribution.keeper import settle
from okchain.modules.slashing import keeper as k
from okchain.modules.staking import active
from okchain.modules.staking import keeper as staking
from okchain.types.params import RATE_ONE, ChainParams

_NS = 10**9
FOREVER_NS = 2**63 - 1


def max_missed(params: ChainParams) -> int:
    """Misses a validator may have in one window and stay out of jail."""
    window = params.slashing_window_blocks
    return window - window * params.slashing_min_signed_rate // RATE_ONE


def begin_block(store: k.Store, info: BlockInfo, params: ChainParams) -> None:
    for vote in info.last_votes:
        _count(store, vote, info, params)
    for misbehaviour in info.misbehaviour:
        tombstone(store, misbehaviour, params)


def _count(store: k.Store, vote: VoteInfo, info: BlockInfo, params: ChainParams) -> None:
    """A jailed key may still sign for two heights (set changes apply at H + 2): those do not count."""
    record = k.get_info(store, vote.pubkey) or k.first_seen(store, vote.pubkey, info.height)
    if record.jailed or record.tombstoned:
        return
    window = params.slashing_window_blocks
    record = k.record_vote(store, vote.pubkey, record, not vote.signed, window)
    if record.index >= window and record.missed > max_missed(params):
        until = info.time_ns + params.slashing_downtime_jail_seconds * _NS
        _jail(store, vote.pubkey, replace(record, jailed=True, jailed_until_ns=until), params)


def _jail(store: k.Store, pubkey: bytes, record: k.SigningInfo, params: ChainParams) -> None:
    k.set_info(store, pubkey, replace(record, index=0, missed=0))
    k.clear_window(store, pubkey, params.slashing_window_blocks)
    active.mark_changed(store, pubkey)  # it leaves the set at this block's end


def tombstone(store: k.Store, offence: Misbehaviour, params: ChainParams) -> int:
    """Jail the key for good and burn ``slashing_double_sign_rate`` of its operator's self-deposit (and,
    lazily, of its voters' deposits); returns the self-deposit OKT burned. The application admits no
    evidence against a key already tombstoned. The operator's self stake is settled first, so its rewards
    up to now are paid on the shares it had."""
    record = k.get_info(store, offence.pubkey) or k.first_seen(store, offence.pubkey, offence.height)
    jailed = replace(record, jailed=True, jailed_until_ns=FOREVER_NS, tombstoned=True)
    _jail(store, offence.pubkey, jailed, params)
    operator = staking.consensus_key_owner(store, offence.pubkey)
    if operator is None or staking.get_validator(store, operator) is None:
        return 0  # a genesis validator without a staking record, or one destroyed and gone: nothing to slash
    settle(store, operator, operator)
    return staking.slash_validator(store, operator, params.slashing_double_sign_rate)
