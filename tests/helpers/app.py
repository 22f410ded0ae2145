"""The application driven block by block like a node does: shared by the app, token and dex tests."""

import dataclasses
from collections.abc import Sequence
from typing import Any, Protocol

from okchain.app import Application, FinalizedBlock
from okchain.consensus import solo
from okchain.crypto.address import Address
from okchain.crypto.ed25519 import ValidatorKey, validator_address
from okchain.crypto.secp import AccountKey
from okchain.genesis.document import GenesisDoc, GenesisValidator
from okchain.modules.accounts import FEE_COLLECTOR
from okchain.modules.bank import keeper as bank
from okchain.modules.bank.messages import BankMsg, Transfer
from okchain.modules.distribution.keeper import COMMUNITY_POOL, REWARDS_POOL
from okchain.modules.mint.keeper import total_minted
from okchain.state import blockstore, schema
from okchain.state.store import KVStore, MemoryKV
from okchain.tx.envelope import build_tx
from okchain.types.block import Block, Commit, CommitSig, Header, evidence_hash, last_commit_hash, txs_hash
from okchain.types.params import ChainParams
from okchain.types.refusal import RefusalCode
from okchain.types.results import Code, TxResult
from okchain.types.vote import VoteType, vote_sign_bytes
from tests.helpers.chain import CHAIN_ID, OKT, funded_keys, make_genesis

BALANCE = 1_000_000 * OKT
FEE = 10**15
GAS = 200_000
VALIDATOR = ValidatorKey(b"\x01" * 32)
KEYS = funded_keys(4)
COMMITTEE = sorted(
    (ValidatorKey(bytes([i + 10]) * 32) for i in range(4)), key=lambda k: validator_address(k.public_key)
)  # four validators of power 10, in address order


class Chain:
    """One application plus the single validator, producing blocks exactly like ``Node.produce_block``."""

    def __init__(self, db: KVStore, genesis: GenesisDoc, **kwargs: int) -> None:
        self.db = db
        self.app = Application(db, genesis, **kwargs)
        self.last_commit = blockstore.commit_at(db, self.app.last.height)

    def decide(self, txs: list[bytes], after_ns: int = 1_000_000_000) -> tuple[Block, Commit]:
        """The block on the tip; its precommit (so the next block's time) comes ``after_ns`` after the
        previous block's time."""
        app = self.app
        tip = solo.ChainTip(
            app.chain_id, app.last, app.validators_hash, app.next_validators_hash, self.last_commit
        )
        return solo.decide(tip, txs, app.last.time_ns + after_ns, VALIDATOR)

    def apply(self, block: Block, commit: Commit) -> FinalizedBlock:
        finalized = self.app.finalize_block(block, commit)
        self.app.commit()
        self.last_commit = commit
        return finalized

    def produce(self, txs: list[bytes], after_ns: int = 1_000_000_000) -> FinalizedBlock:
        return self.apply(*self.decide(txs, after_ns))

    def refuse_malformed(self, raw: bytes, code: Code, log: str) -> None:
        """``raw`` fails a stateless check with ``code`` and a log containing ``log``, and a block carrying
        it is refused whole (no node executes it), leaving the state as it was."""
        before = state_items(self.db), self.app.last
        checked = self.app.simulate(raw).result
        assert (checked.code, checked.gas_used, checked.fee) == (code, 0, 0)
        assert log in checked.log
        block, _ = self.decide([raw])
        refusal = self.app.process_proposal(block)
        assert refusal is not None and refusal.code == RefusalCode.TX_MALFORMED
        assert code.name in refusal.reason and log in refusal.reason
        assert (state_items(self.db), self.app.last) == before


def genesis(params: ChainParams | None = None) -> GenesisDoc:
    doc = make_genesis(KEYS, VALIDATOR, BALANCE)
    if params is None:
        return doc
    return GenesisDoc(dataclasses.replace(doc.header, params=params), doc.accounts)


def committee_genesis(params: ChainParams | None = None) -> GenesisDoc:
    base = genesis(params)
    validators = tuple(GenesisValidator(f"v{i}", k.public_key, 10) for i, k in enumerate(COMMITTEE))
    return GenesisDoc(dataclasses.replace(base.header, validators=validators), base.accounts)


def committee_chain(params: ChainParams | None = None) -> Chain:
    """A ``COMMITTEE`` chain over MemoryKV at height 1 (an empty block all four signed), so the next block
    carries a real four-entry last commit."""
    chain = Chain(MemoryKV(), committee_genesis(params))
    block = next_block(chain, None, proposer=COMMITTEE[0])
    assert chain.app.process_proposal(block) is None
    chain.apply(block, sign(chain, block, COMMITTEE, [block.header.time_ns + 1] * 4))
    return chain


def sign(
    chain: Chain, block: Block, keys: Sequence[ValidatorKey], times: Sequence[int], round_: int = 0
) -> Commit:
    """The commit of ``block`` by ``keys``, each precommitting in ``round_`` at its time in ``times``."""
    h = block.header.height
    sigs = [
        CommitSig(
            validator_address(k.public_key),
            t,
            k.sign(vote_sign_bytes(chain.app.chain_id, h, round_, VoteType.PRECOMMIT, block.hash, t)),
        )
        for k, t in zip(keys, times, strict=True)
    ]
    return Commit(h, round_, block.hash, tuple(sorted(sigs, key=lambda s: s.validator_address)))


def next_block(
    chain: Chain,
    last_commit: Commit | None,
    *,
    proposer: ValidatorKey,
    time_ns: int | None = None,
    txs: Sequence[bytes] = (),
    evidence: Sequence[bytes] = (),
) -> Block:
    """The block an honest ``proposer`` builds on ``chain``'s tip (BFT time unless ``time_ns`` says)."""
    app = chain.app
    header = Header(
        app.chain_id,
        app.last.height + 1,
        app.block_time_ns(last_commit) if time_ns is None else time_ns,
        app.last.block_hash,
        txs_hash(list(txs)),
        app.last.app_hash,
        app.last.results_hash,
        app.validators_hash,
        validator_address(proposer.public_key),
        last_commit_hash(last_commit),
        app.next_validators_hash,
        evidence_hash(list(evidence)),
    )
    return Block(header, tuple(txs), last_commit, tuple(evidence))


def tx(
    key: AccountKey,
    nonce: int,
    msgs: list[BankMsg],
    *,
    fee: int = FEE,
    gas_limit: int = GAS,
    chain_id: str = CHAIN_ID,
    memo: str = "",
) -> bytes:
    return build_tx(key, chain_id=chain_id, nonce=nonce, msgs=msgs, gas_limit=gas_limit, fee=fee, memo=memo)


def send(key: AccountKey, nonce: int, to: AccountKey | bytes, amount: int, **kw: Any) -> bytes:
    addr = to.address if isinstance(to, AccountKey) else Address(to)
    return tx(key, nonce, [Transfer(addr, "okt", amount)], **kw)


def with_signature(raw: bytes, signature: bytes) -> bytes:
    from okchain._pb.tx.v1 import tx_pb2

    env = tx_pb2.TxRaw.FromString(raw)
    return tx_pb2.TxRaw(body_bytes=env.body_bytes, signature=signature).SerializeToString(deterministic=True)


def state_items(db: KVStore) -> dict[bytes, bytes]:
    return dict(db.iterate(schema.STATE))


# what every block's begin rewrites whatever its txs do: slashing's signing records, the mint total, the
# distribution records and pools, the fee collector and the OKT supply
BLOCK_HOOK_PREFIXES = (schema.SLASHING, schema.DISTRIBUTION, schema.MINT_TOTAL)
BLOCK_HOOK_KEYS = frozenset(
    {
        schema.supply("okt"),
        schema.balance(REWARDS_POOL, "okt"),
        schema.balance(COMMUNITY_POOL, "okt"),
        schema.balance(FEE_COLLECTOR, "okt"),  # paid out at every block begin, then takes the block's fees
    }
)


def tx_state_items(db: KVStore) -> dict[bytes, bytes]:
    """State other than the block hooks' own records: what txs alone decide."""
    return {
        k: v
        for k, v in state_items(db).items()
        if not k.startswith(BLOCK_HOOK_PREFIXES) and k not in BLOCK_HOOK_KEYS
    }


def balances(db: KVStore) -> dict[tuple[bytes, str], int]:
    prefix = schema.STATE + b"bank/b/"
    out: dict[tuple[bytes, str], int] = {}
    for key, value in db.iterate(prefix):
        rest = key[len(prefix) :]
        out[(rest[:20], rest[21:].decode())] = int.from_bytes(value, "big")
    return out


def okt(db: KVStore, who: AccountKey | bytes) -> int:
    return bank.get_balance(db, who.address if isinstance(who, AccountKey) else who, "okt")


def assert_supply_conserved(db: KVStore) -> None:
    """Σ OKT balances = the supply = genesis + what the blocks minted."""
    total = sum(v for (_, denom), v in balances(db).items() if denom == "okt")
    assert total == bank.get_supply(db, "okt") == BALANCE * len(KEYS) + total_minted(db)


class Runner(Protocol):
    db: KVStore

    def run(self, key: AccountKey, *msgs: Any) -> TxResult: ...


def assert_refused_only_fee(chain: Runner, key: AccountKey, msg: Any, code: Code, reason: str) -> None:
    """The tx fails with ``code`` and ``reason``; it pays its fee and bumps its nonce, nothing else."""
    before = tx_state_items(chain.db)
    result = chain.run(key, msg)
    assert result.code == code
    assert result.log == reason
    after = tx_state_items(chain.db)
    charged = {schema.balance(key.address, "okt"), schema.account_nonce(key.address)}
    assert {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)} == charged
    assert (
        bank.get_balance(chain.db, key.address, "okt")
        == bank.get_balance(MemoryKV(before), key.address, "okt") - result.fee
    )
