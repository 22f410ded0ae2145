"""Running one transaction against a store: the same code for check_tx, simulate and block execution.

Order of checks (each failure leaves the store untouched unless noted):
size → decode → chain id → message limits → gas limit ≤ max → signature (these form the stateless
``precheck``) → nonce → fee funds;
then the fee is charged and the nonce bumped (kept even if what follows fails: a failed tx still pays);
then gas ≥ required; then the messages run in a branch merged only on success.

Messages reach their module through ``HANDLERS`` (message type → handler). Every handler raises a subclass
of ``ModuleError`` whose class carries the result code, so one ``except`` serves every module.
"""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from okchain.crypto.address import Address, to_checksum
from okchain.crypto.hashing import sha256
from okchain.modules.accounts import FEE_COLLECTOR
from okchain.modules.auth import keeper as auth
from okchain.modules.auth.keeper import Store
from okchain.modules.bank import codec as bank_codec
from okchain.modules.bank import handler as bank_handler
from okchain.modules.bank import keeper as bank
from okchain.modules.bank.keeper import InsufficientFunds
from okchain.modules.bank.messages import MultiSend
from okchain.modules.context import ModuleError, MsgContext
from okchain.modules.dex import codec as dex_codec
from okchain.modules.dex import handler as dex_handler
from okchain.modules.distribution import codec as distribution_codec
from okchain.modules.distribution import handler as distribution_handler
from okchain.modules.slashing import codec as slashing_codec
from okchain.modules.slashing import handler as slashing_handler
from okchain.modules.staking import codec as staking_codec
from okchain.modules.staking import handler as staking_handler
from okchain.modules.token import codec as token_codec
from okchain.modules.token import handler as token_handler
from okchain.state.cache import CacheKV
from okchain.tx.envelope import Recoverer, Tx, decode_tx, recover_signers
from okchain.tx.gas import required_gas
from okchain.types.fields import TxDecodeError
from okchain.types.params import OKT_DENOM, ChainParams
from okchain.types.results import Code, Event, TxResult

Handler = Callable[[CacheKV, MsgContext, Any], list[Event]]  # a branch of the tx's store

# Message type → its module's handler. A module joins by listing its message types here (and its codec in
# okchain/tx/registry.py); its errors subclass ModuleError, so nothing else in this file changes.
HANDLERS: dict[type, Handler] = {
    **dict.fromkeys(bank_codec.MSG_TYPES, bank_handler.handle),
    **dict.fromkeys(token_codec.MSG_TYPES, token_handler.handle),
    **dict.fromkeys(dex_codec.MSG_TYPES, dex_handler.handle),
    **dict.fromkeys(staking_codec.MSG_TYPES, staking_handler.handle),
    **dict.fromkeys(slashing_codec.MSG_TYPES, slashing_handler.handle),
    **dict.fromkeys(distribution_codec.MSG_TYPES, distribution_handler.handle),
}


class SignatureCache:
    """tx hash → (decoded tx, recovered signer), filled by the stateless pre-check (which gRPC threads run in
    parallel, off the consensus thread) so block execution neither decodes nor recovers a second time."""

    def __init__(self, capacity: int, max_bytes: int = 256 * 1024 * 1024) -> None:
        self._capacity = capacity
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: dict[bytes, tuple[Tx, Address]] = {}
        self._lock = threading.Lock()

    def get(self, tx_hash: bytes) -> Address | None:
        hit = self._entries.get(tx_hash)
        return None if hit is None else hit[1]

    def get_verified(self, tx_hash: bytes) -> tuple[Tx, Address] | None:
        return self._entries.get(tx_hash)

    def put(self, tx: Tx, signer: Address) -> None:
        with self._lock:
            if tx.hash in self._entries:
                return
            self._entries[tx.hash] = (tx, signer)
            self._bytes += len(tx.raw)
            while len(self._entries) > self._capacity or self._bytes > self._max_bytes:
                oldest = self._entries.pop(next(iter(self._entries)))
                self._bytes -= len(oldest[0].raw)

    def discard(self, tx_hash: bytes) -> None:
        self.pop(tx_hash)

    def pop(self, tx_hash: bytes) -> tuple[Tx, Address] | None:
        with self._lock:
            gone = self._entries.pop(tx_hash, None)
            if gone is not None:
                self._bytes -= len(gone[0].raw)
            return gone


@dataclass(frozen=True, slots=True)
class Delivered:
    result: TxResult
    tx: Tx | None
    signer: Address | None


def _fail(
    code: Code, log: str, gas_wanted: int = 0, tx: Tx | None = None, signer: Address | None = None
) -> Delivered:
    return Delivered(
        TxResult(code, log, gas_wanted, 0, (), signer or b"", tx.nonce if tx else 0, 0), tx, signer
    )


def _shape(raw: bytes, chain_id: str, params: ChainParams) -> Tx | Delivered:
    """Size, decoding, chain id and limits: the checks that need neither state nor the signature."""
    if len(raw) > params.max_tx_bytes:
        return _fail(Code.TX_TOO_LARGE, f"tx is {len(raw)} bytes, limit is {params.max_tx_bytes}")
    try:
        tx = decode_tx(raw)
    except TxDecodeError as exc:
        return _fail(Code.TX_DECODE, str(exc))
    if tx.chain_id != chain_id:
        return _fail(
            Code.WRONG_CHAIN_ID, f"wrong chain id: expected {chain_id!r}, got {tx.chain_id!r}", tx=tx
        )
    limit_error = _message_limits(tx, params)
    if limit_error:
        return _fail(Code.INVALID_MSG, limit_error, tx=tx)
    if tx.gas_limit > params.max_tx_gas:
        return _fail(
            Code.GAS_LIMIT_TOO_HIGH,
            f"gas limit {tx.gas_limit} exceeds the maximum {params.max_tx_gas}",
            tx.gas_limit,
            tx,
        )
    return tx


def precheck_many(
    raws: Sequence[bytes],
    *,
    chain_id: str,
    params: ChainParams,
    sig_cache: SignatureCache,
    recover: Recoverer = recover_signers,
) -> list[Delivered]:
    """Everything that does not depend on state, for a batch: shape checks here, then signature recovery
    through ``recover`` (the node passes a process pool, so recovery runs on other cores).

    Thread-safe; each tx that passes is cached with its signer for the stateful part.
    """
    shaped = [_shape(raw, chain_id, params) for raw in raws]
    txs = [s for s in shaped if isinstance(s, Tx)]
    signers = iter(recover([(tx.body_bytes, tx.signature) for tx in txs]))
    out: list[Delivered] = []
    for item in shaped:
        if not isinstance(item, Tx):
            out.append(item)
            continue
        signer = next(signers)
        if isinstance(signer, str):
            out.append(_fail(Code.BAD_SIGNATURE, signer, tx=item))
            continue
        sig_cache.put(item, signer)
        out.append(
            Delivered(TxResult(Code.OK, "", item.gas_limit, 0, (), signer, item.nonce, 0), item, signer)
        )
    return out


def precheck(raw: bytes, *, chain_id: str, params: ChainParams, sig_cache: SignatureCache) -> Delivered:
    return precheck_many([raw], chain_id=chain_id, params=params, sig_cache=sig_cache)[0]


def deliver_tx(
    store: CacheKV,
    raw: bytes,
    *,
    chain_id: str,
    params: ChainParams,
    sig_cache: SignatureCache,
    height: int,
    time_ns: int,
    verified: tuple[Tx, Address] | None = None,
) -> Delivered:
    """Run ``raw`` against ``store`` as part of block ``height`` (``time_ns``: see ``MsgContext``); returns
    the result (never raises for bad input). ``verified``: ``raw``'s decoded tx and signer if the caller
    already holds them (else the signature cache or a fresh pre-check supplies them)."""
    cached = verified or sig_cache.get_verified(sha256(raw))
    if cached is None:
        checked = precheck(raw, chain_id=chain_id, params=params, sig_cache=sig_cache)
        if checked.tx is None or checked.signer is None:
            return checked
        tx, signer = checked.tx, checked.signer
    else:
        tx, signer = cached
    expected = auth.get_nonce(store, signer)
    if tx.nonce != expected:
        reason = f"nonce mismatch: expected {expected}, got {tx.nonce}" + unknown_signer_hint(store, signer)
        return _fail(Code.BAD_NONCE, reason, tx.gas_limit, tx, signer)
    try:
        bank.sub_balance(store, signer, OKT_DENOM, tx.fee, what="fee")
    except InsufficientFunds as exc:
        reason = str(exc) + unknown_signer_hint(store, signer)
        return _fail(Code.INSUFFICIENT_FEE_FUNDS, reason, tx.gas_limit, tx, signer)
    bank.add_balance(store, FEE_COLLECTOR, OKT_DENOM, tx.fee)
    auth.bump_nonce(store, signer)
    gas = required_gas(tx, params)

    def result(code: Code, log: str, events: tuple[Event, ...] = ()) -> Delivered:
        used = min(gas, tx.gas_limit)
        return Delivered(
            TxResult(code, log, tx.gas_limit, used, events, signer, tx.nonce, tx.fee), tx, signer
        )

    if gas > tx.gas_limit:
        return result(Code.OUT_OF_GAS, f"out of gas: needs {gas}, gas limit is {tx.gas_limit}")
    branch = store.branch()
    ctx = MsgContext(signer, tx.hash, height, time_ns, params)
    events: list[Event] = []
    try:
        for msg in tx.msgs:
            events.extend(HANDLERS[type(msg)](branch, ctx, msg))
    except ModuleError as exc:
        return result(exc.code, str(exc))
    branch.merge_into(store)
    return result(Code.OK, "", tuple(events))


def unknown_signer_hint(store: Store, signer: Address) -> str:
    """For a signer the chain has never seen (no OKT, no tx): the signer is recovered from the signature, so
    a signature over other bytes names a random, empty account. Say so, or a wallet author chases funds."""
    if auth.get_nonce(store, signer) or bank.get_balance(store, signer, OKT_DENOM):
        return ""
    return (
        f"; the signature recovers to {to_checksum(signer)}, an account with no OKT and no txs: if that is "
        "not the sender, the signature is not over these tx bytes (another key, another chain id, or bytes "
        "changed after signing)"
    )


def _message_limits(tx: Tx, params: ChainParams) -> str | None:
    if len(tx.msgs) > params.max_msgs_per_tx:
        return f"tx has {len(tx.msgs)} messages, limit is {params.max_msgs_per_tx}"
    for i, msg in enumerate(tx.msgs):
        if isinstance(msg, MultiSend) and len(msg.outputs) > params.max_multisend_outputs:
            limit = params.max_multisend_outputs
            return f"message {i}: multi-send has {len(msg.outputs)} outputs, limit is {limit}"
    return None
