"""Driving the real Application with staking traffic, and the staking accounting checks."""

import dataclasses
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from okchain.crypto.address import Address
from okchain.crypto.ed25519 import ValidatorKey, validator_address
from okchain.crypto.secp import AccountKey
from okchain.genesis.document import GenesisDoc
from okchain.modules.auth.keeper import get_nonce
from okchain.modules.bank import keeper as bank
from okchain.modules.staking import keeper as k
from okchain.modules.staking.messages import (
    BindProxy,
    CreateValidator,
    Deposit,
    Description,
    DestroyValidator,
    RegisterProxy,
    UnbindProxy,
    UnregisterProxy,
    Vote,
    Withdraw,
)
from okchain.state.store import KVStore
from okchain.types.params import ChainParams
from okchain.types.results import Code, TxResult
from tests.helpers.app import VALIDATOR, Chain, balances, tx
from tests.helpers.chain import OKT, funded_keys, make_genesis

SECOND = 10**9
KEYS = funded_keys(6)
# short periods so tests reach them in a few blocks; everything else at its default
PARAMS = ChainParams(staking_unbonding_seconds=10, staking_commission_interval_seconds=5)
RATE = 10**17  # 10 %


def genesis(params: ChainParams = PARAMS, balance: int = 1_000_000 * OKT) -> GenesisDoc:
    doc = make_genesis(KEYS, VALIDATOR, balance)
    return GenesisDoc(dataclasses.replace(doc.header, params=params), doc.accounts)


CONSENSUS = [ValidatorKey(bytes([i + 100]) * 32) for i in range(6)]  # the keys of ``create(i)``
SIGNERS = {validator_address(key.public_key): key for key in [VALIDATOR, *CONSENSUS]}


def consensus_key(i: int) -> bytes:
    return CONSENSUS[i].public_key


def create(i: int, moniker: str = "node") -> CreateValidator:
    return CreateValidator(
        Description(moniker, "id", "https://ok.example", "d"), consensus_key(i), RATE, 5 * RATE, RATE
    )


class StakingChain(Chain):
    """A chain that signs with the right nonce, one tx per block, and returns each tx's result."""

    def run(self, key: AccountKey, *msgs: Any, after_ns: int = SECOND) -> TxResult:
        raw = tx(key, get_nonce(self.db, key.address), list(msgs))
        return self.produce([raw], after_ns).results[0]

    def ok(self, key: AccountKey, *msgs: Any, after_ns: int = SECOND) -> TxResult:
        result = self.run(key, *msgs, after_ns=after_ns)
        assert result.code == Code.OK, result.log
        return result


def check_invariants(db: KVStore) -> None:
    """Staking never changes the OKT supply; the pool holds exactly what is staked or unbonding; each
    validator's vote shares and voter count are those of the voters naming it; a proxy's bound sum is its
    bound accounts' deposits, and the binding index agrees with the voters' records."""
    okt = {addr: v for (addr, denom), v in balances(db).items() if denom == "okt"}
    voters = k.all_voters(db)
    validators = k.all_validators(db)
    deposits = sum(v.deposit for _, v in voters) + sum(v.self_deposit for v in validators)
    unbonding = k.total_unbonding(db)
    pool = okt.get(k.STAKING_POOL, 0)
    assert sum(okt.values()) - pool + deposits + unbonding == bank.get_supply(db, "okt")
    assert pool == deposits + unbonding
    naming: dict[bytes, list[k.Voter]] = {}  # one pass over the voters, so benchmarks can check 100,000
    bound: dict[bytes, list[tuple[bytes, k.Voter]]] = {}
    for addr, v in voters:
        for op in v.validators:
            naming.setdefault(op, []).append(v)
        if v.proxy is not None:
            bound.setdefault(v.proxy, []).append((addr, v))
    for val in validators:
        assert val.vote_shares == sum(v.shares for v in naming.get(val.operator, []))
        assert val.voters == len(naming.get(val.operator, []))
        assert not val.destroyed or (val.self_deposit, val.self_shares) == (0, 0)
    for addr, v in voters:
        assert v.validators == tuple(sorted(v.validators))
        assert all(k.get_validator(db, op) is not None for op in v.validators)
        assert k.bound_accounts(db, addr) == [a for a, _ in bound.get(addr, [])]
        assert v.bound == sum(b.deposit for _, b in bound.get(addr, []))
        assert v.proxy is None or (not v.validators and v.shares == 0 and not v.is_proxy)


def new_chain(db: KVStore, params: ChainParams = PARAMS, balance: int = 1_000_000 * OKT) -> StakingChain:
    return StakingChain(db, genesis(params, balance))


def staking_messages(
    validators: Sequence[Address], proxies: Sequence[Address], amounts: st.SearchStrategy[int]
) -> list[st.SearchStrategy[Any]]:
    """Every staking message a random history draws from, votes, deposits and binds weighted up so most
    histories reach proxies voting for live validators."""
    votes = st.lists(st.sampled_from(list(validators)), min_size=1, max_size=3, unique=True).map(tuple)
    return [
        *[st.builds(Vote, votes)] * 3,
        *[st.builds(Deposit, amounts)] * 2,
        st.builds(Withdraw, amounts),
        st.just(RegisterProxy()),
        st.just(UnregisterProxy()),
        *[st.builds(BindProxy, st.sampled_from(list(proxies)))] * 2,
        st.just(UnbindProxy()),
        st.just(DestroyValidator()),
    ]
