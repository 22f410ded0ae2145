"""A chain's first write: genesis balances, supply, staked supernodes and the first validator sets."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

from okchain.consensus.proposer import ConsensusValidator, ValidatorSet
from okchain.genesis.document import GenesisDoc
from okchain.modules.bank import keeper as bank
from okchain.modules.staking.genesis import GenesisSupernode, init_genesis
from okchain.state import schema
from okchain.state.blockstore import LastCommitted
from okchain.state.cache import CacheKV
from okchain.state.merkle import SparseMerkleTree
from okchain.state.store import KVStore
from okchain.types.params import OKT_DENOM

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def genesis_marker(genesis: GenesisDoc) -> bytes:
    """Hash of the whole genesis (header and every account), stored at init so a home refuses to start
    against a different genesis."""
    digest = hashlib.sha256(json.dumps(genesis.header.to_json(), sort_keys=True).encode())
    for account in genesis.accounts:
        digest.update(account.address + account.balance.to_bytes(32, "big"))
    return digest.digest()


def genesis_time_ns(genesis: GenesisDoc) -> int:
    return (genesis.header.genesis_time - _EPOCH) // timedelta(microseconds=1) * 1_000


def init_chain(db: KVStore, tree: SparseMerkleTree, genesis: GenesisDoc, marker: bytes) -> LastCommitted:
    """Write genesis balances, supply and supernodes, the sets of the first two heights and the marker of
    the height before the initial one, in one batch. Raises the staking module's error when a genesis
    validator cannot be staked as written."""
    state = CacheKV(db)
    total = 0
    for account in genesis.accounts:
        bank.set_balance(state, account.address, OKT_DENOM, account.balance)
        total += account.balance
    bank.set_supply(state, OKT_DENOM, total)
    genesis_ns = genesis_time_ns(genesis)
    nodes = [GenesisSupernode(v.name, v.pub_key, v.power, v.operator) for v in genesis.header.validators]
    init_genesis(state, nodes, genesis_ns, genesis.header.params)
    items = [(k, v) for k, v in state.writes.items() if v is not None]
    root, node_writes = tree.build(items)
    last = LastCommitted(genesis.header.initial_height - 1, root, b"", b"", genesis_ns)
    writes: dict[bytes, bytes | None] = dict(state.writes)
    writes.update(node_writes)
    writes[schema.META_GENESIS] = marker
    writes[schema.META_LAST] = last.encode()
    writes[schema.META_EARLIEST] = schema.u64(last.height)
    first = ValidatorSet.genesis(
        ConsensusValidator.from_pub_key(v.pub_key, v.power) for v in genesis.header.validators
    )
    writes[schema.validator_set(last.height + 1)] = first.encode()
    writes[schema.validator_set(last.height + 2)] = first.increment(1).encode()
    db.write(writes)
    tree.commit(node_writes)
    return last
