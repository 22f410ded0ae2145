"""Long random proof-of-stake histories through the real Application, every invariant checked after every
block: staking traffic of every kind, reward withdrawals, unjails, validators that stop signing (short
slashing windows jail them) and double-sign evidence in blocks, with short epochs.

After each block: the staking and reward books (``check_invariants``, ``check_supply`` with the slashes'
burns, ``check_owed``); the set decided in block H (it signs H + 2) is the stored active set, which changes
only at a re-ranking (an epoch, or a block in which an active validator was jailed or destroyed) and is then
the top validators by shares with power ⌊shares / staking_power_unit⌋ halved to fit consensus's cap; and no
jailed, tombstoned or destroyed validator is in it.
"""

import itertools
from collections.abc import Sequence

from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from okchain.app import FinalizedBlock
from okchain.crypto.secp import AccountKey
from okchain.genesis.document import GenesisDoc
from okchain.modules.auth.keeper import get_nonce
from okchain.modules.distribution.messages import WithdrawRewards
from okchain.modules.slashing.keeper import get_info, is_jailed, is_tombstoned
from okchain.modules.slashing.messages import Unjail
from okchain.modules.staking import active
from okchain.modules.staking import keeper as k
from okchain.modules.staking.active import MAX_TOTAL_POWER
from okchain.modules.staking.messages import (
    BindProxy,
    Deposit,
    DestroyValidator,
    RegisterProxy,
    UnbindProxy,
    UnregisterProxy,
    Vote,
    Withdraw,
)
from okchain.state.store import KVReader, KVStore, MemoryKV
from okchain.types.block import Block, Commit
from okchain.types.params import RATE_ONE, ChainParams
from okchain.types.results import Code
from tests.helpers.app import tx
from tests.helpers.chain import OKT
from tests.helpers.distribution import RewardChain
from tests.helpers.staking import CONSENSUS, KEYS, create, genesis
from tests.helpers.valsets import double_sign

EPOCH = 4


def params(power_unit: int) -> ChainParams:
    """Short epochs, windows, jail and unbonding periods; four seats. A power unit of 1 makes every power
    far exceed consensus's cap, so the halving runs."""
    return ChainParams(
        staking_epoch_blocks=EPOCH,
        staking_max_validators=4,
        staking_power_unit=power_unit,
        staking_unbonding_seconds=6,
        slashing_window_blocks=8,
        slashing_min_signed_rate=RATE_ONE // 2,
        slashing_downtime_jail_seconds=4,
        evidence_max_age_blocks=12,
        max_block_evidence=2,
    )


def eligible(db: KVReader) -> dict[bytes, k.Validator]:
    """The validators a ranking may choose, by consensus key: neither destroyed nor jailed."""
    return {v.pubkey: v for v in k.all_validators(db) if not v.destroyed and not is_jailed(db, v.pubkey)}


def expected_set(db: KVReader, p: ChainParams) -> dict[bytes, int]:
    """What a re-ranking must choose: the top ``staking_max_validators`` eligible validators by shares (ties:
    lower operator), with power ⌊shares / unit⌋ shifted right by the least amount that brings the total
    within consensus's cap; powers that reach zero left out."""
    top = sorted(eligible(db).values(), key=lambda v: (-v.shares, v.operator))[: p.staking_max_validators]
    units = {v.pubkey: v.shares // p.staking_power_unit for v in top}
    shift = next(s for s in itertools.count() if sum(u >> s for u in units.values()) <= MAX_TOTAL_POWER)
    return {key: u >> shift for key, u in units.items() if u >> shift}


class PosChain(RewardChain):
    """``RewardChain`` that also checks each block's decided validator set, and keeps validators that are
    ``down`` from signing as long as the rest keep more than two thirds of the power."""

    def __init__(self, db: KVStore, genesis: GenesisDoc) -> None:
        super().__init__(db, genesis)
        self.down: set[bytes] = set()
        self.active_before = active.get_active(self.db)
        self.eligible_before = set(eligible(self.db))

    def block(self, txs: Sequence[bytes] = (), evidence: Sequence[bytes] = ()) -> Block:
        members = self.app.validator_set(self.app.last.height + 1).validators
        total = sum(v.power for v in members)
        absent: set[bytes] = set()
        power = 0
        for v in sorted(members, key=lambda v: v.pub_key):
            if v.pub_key in self.down and 3 * (power + v.power) < total:
                absent.add(v.pub_key)
                power += v.power
        self.absent = absent
        return super().block(txs, evidence)

    def apply(self, block: Block, commit: Commit) -> FinalizedBlock:
        finalized = super().apply(block, commit)
        self.check_sets(block.header.height)
        return finalized

    def check_sets(self, height: int) -> None:
        """The set block ``height`` decided, against the state it was decided from (see the docstring)."""
        decided = {v.pub_key: v.power for v in self.app.validator_set(height + 2).validators}
        previous = {v.pub_key: v.power for v in self.app.validator_set(height + 1).validators}
        assert decided == active.get_active(self.db)
        now = set(eligible(self.db))
        departed = self.active_before.keys() & (self.eligible_before - now)
        want = expected_set(self.db, self.app.params)
        reranked = height % EPOCH == 0 or bool(departed)
        if reranked and want:
            assert decided == want, (height, decided, want)
        else:  # between re-rankings, or none with a candidate (the set is never left empty)
            assert decided == previous, height
        if want:
            for key in decided:
                owner = k.consensus_key_owner(self.db, key)
                assert owner is None or key in now, f"{key.hex()} in the set of {height + 2} while out"
        event(f"re-ranked: {reranked}, departures: {bool(departed)}, empty ranking: {not want}")
        for key in self.eligible_before - now:
            jailed = is_jailed(self.db, key)
            event("tombstoned" if is_tombstoned(self.db, key) else "jailed" if jailed else "destroyed")
        if any(get_info(self.db, key) for key in now - self.eligible_before):
            event("unjailed")
        self.active_before, self.eligible_before = active.get_active(self.db), now


def mix(*weighted: tuple[int, st.SearchStrategy[object]]) -> st.SearchStrategy[object]:
    """Draw from each strategy as often as its weight says (``st.one_of`` treats repeats as one)."""
    return st.sampled_from([s for weight, s in weighted for _ in range(weight)]).flatmap(lambda s: s)


ACCOUNT = st.integers(0, len(KEYS) - 1)
OPERATOR = st.sampled_from([key.address for key in KEYS])
VOTES = st.lists(st.sampled_from([key.address for key in KEYS[1:]]), min_size=1, max_size=3, unique=True)
AMOUNT = st.sampled_from([OKT, 3_000 * OKT, 12_000 * OKT, 40_000 * OKT])
MESSAGES = mix(
    (3, st.builds(Deposit, AMOUNT)),
    (2, st.builds(Withdraw, AMOUNT)),
    (4, st.builds(Vote, VOTES.map(tuple))),
    (1, st.just(RegisterProxy())),
    (2, st.builds(BindProxy, OPERATOR)),
    (1, st.just(UnbindProxy())),
    (1, st.just(DestroyValidator())),
    (2, st.builds(WithdrawRewards, st.none() | OPERATOR)),
    (2, st.builds(create, st.sampled_from([5, 5, *range(5)]))),  # CONSENSUS[5] is free until created
)
KEY = st.integers(0, len(CONSENSUS) - 1)
STEPS = st.lists(
    mix(
        (16, st.tuples(st.just("tx"), ACCOUNT, MESSAGES)),
        (2, st.tuples(st.just("down"), KEY)),
        (2, st.tuples(st.just("outage"), KEY, st.integers(1, 12))),
        (2, st.tuples(st.just("unjail"), KEY)),
        (1, st.tuples(st.just("evidence"), KEY)),
        (3, st.tuples(st.just("idle"), st.integers(1, 8))),
    ),
    min_size=10,
    max_size=50,
)
REFUSALS = {Code.OK, *(c for c in Code if c.name.startswith(("STAKING_", "SLASHING_", "DISTRIBUTION_")))}


def start(power_unit: int) -> PosChain:
    """Five staking validators (``KEYS[i + 1]`` operates ``CONSENSUS[i]``) for four seats, ``KEYS[0]``'s 2,000
    OKT voting for the first, so any one of the set may stop signing; the set of every height from
    2 · EPOCH + 2. ``CONSENSUS[5]`` is left for a history to create."""
    chain = PosChain(MemoryKV(), genesis(params(power_unit)))
    for i in range(5):
        chain.send(KEYS[i + 1], create(i))
    chain.send(KEYS[0], Deposit(2_000 * OKT), Vote((KEYS[1].address,)))
    chain.until(EPOCH * 2 + 2)
    return chain


def evidence_against(chain: PosChain, i: int) -> list[bytes]:
    """Double-sign evidence of ``CONSENSUS[i]`` at the last height if it signed it and is not yet punished;
    adds the burn it will cause to the chain's slashed total."""
    key, height = CONSENSUS[i], chain.app.last.height
    if key.public_key not in chain.members(height) or is_tombstoned(chain.db, key.public_key):
        return []
    owner = k.consensus_key_owner(chain.db, key.public_key)
    v = None if owner is None else k.get_validator(chain.db, owner)
    chain.slashed += (
        0 if v is None else v.self_deposit * chain.app.params.slashing_double_sign_rate // RATE_ONE
    )
    return [double_sign(chain, key, height)]


# the staking messages that first take what the signer owes for votes for tombstoned validators
SETTLING = (Deposit, Withdraw, Vote, RegisterProxy, UnregisterProxy, BindProxy, UnbindProxy)


def owed_slash(db: KVStore, addr: bytes) -> int:
    """What ``addr``'s deposit loses at its next staking message: each tombstoned validator it votes for
    takes its slash rate of what is left."""
    voter = k.get_voter(db, addr)
    left = voter.deposit
    for op in voter.validators:
        left -= left * k.slash_rate(db, op) // RATE_ONE
    return voter.deposit - left


def send(chain: PosChain, key: AccountKey, msg: object) -> Code:
    """``msg`` in a tx of its own block; its result code, whatever it is."""
    raw = tx(key, get_nonce(chain.db, key.address), [msg])  # type: ignore[list-item]
    if isinstance(msg, SETTLING):
        chain.owed_by_next_tx = owed_slash(chain.db, key.address)
    code = chain.step(raw, check=False).results[0].code
    assert code in REFUSALS, code
    event(f"{type(msg).__name__}: {code.name}")
    return code


def play(chain: PosChain, step: tuple[str, int, object] | tuple[str, int]) -> None:
    """One step of a history: a tx in its own block, an unjail by a key's operator, a validator going down
    or coming back, an outage of some blocks, a block carrying evidence, or empty blocks."""
    kind, arg = step[0], step[1]
    if kind == "tx":
        send(chain, KEYS[arg], step[2])  # type: ignore[misc]
    elif kind == "unjail":
        owner = k.consensus_key_owner(chain.db, CONSENSUS[arg].public_key)
        send(chain, next((key for key in KEYS if key.address == owner), KEYS[0]), Unjail())
    elif kind == "down":
        chain.down ^= {CONSENSUS[arg].public_key}
        chain.step()
    elif kind == "outage":
        was = set(chain.down)
        chain.down.add(CONSENSUS[arg].public_key)
        for _ in range(step[2]):  # type: ignore[misc]
            chain.step()
        chain.down = was
    elif kind == "evidence":
        chain.step(evidence=evidence_against(chain, arg))
    else:
        for _ in range(arg):
            chain.step()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # explaining a failure takes minutes
)
@given(st.sampled_from([10**18, 1]), STEPS)
def test_random_pos_histories_keep_supply_sets_and_jails_consistent(
    power_unit: int, steps: list[tuple[str, int, object] | tuple[str, int]]
) -> None:
    chain = start(power_unit)
    for step in steps:
        play(chain, step)
    chain.down = set()
    chain.until(chain.app.last.height + 3 * EPOCH)  # unbondings mature, jailed validators stay out
