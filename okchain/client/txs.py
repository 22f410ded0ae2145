"""Building, simulating and broadcasting signed txs, with the nonce and gas filled in automatically.

Gas here is static (``okchain.tx.gas``): a tx needs the same gas whether or not it succeeds, and the node's
``Simulate`` says how much. Because the gas limit is inside the signed bytes (and so in the byte cost), the
client signs with a guess, asks, and re-signs until the estimate stops growing (two or three rounds), so
the fee charged is exactly what the tx needs.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from okchain._pb.node.v1 import query_pb2
from okchain._pb.types.v1 import types_pb2
from okchain.client.core import Call, Context, Op, address_of, node_info
from okchain.client.errors import ClientError, NodeError
from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import Transfer
from okchain.tx.envelope import build_tx, tx_hash
from okchain.tx.registry import Msg
from okchain.types.params import OKT_DENOM
from okchain.types.results import Code

GAS_ROUNDS = 4
COMMIT_WAIT_MS = 20_000


@dataclass(frozen=True, slots=True)
class TxOutcome:
    """What became of a broadcast tx: its hash, whether it is in a committed block (``height``), and the
    result (the block's when committed, the mempool check's otherwise)."""

    tx_hash: bytes
    committed: bool
    height: int
    result: types_pb2.TxResult

    @property
    def ok(self) -> bool:
        return self.result.code == 0


class TxWouldFail(ClientError):
    """Simulation says the tx would fail in a block (and cost its fee): nothing was broadcast."""

    def __init__(self, result: types_pb2.TxResult) -> None:
        super().__init__(f"the tx would fail with code {result.code}: {result.log}")
        self.result = result


@dataclass(frozen=True, slots=True)
class Signed:
    """A signed tx ready to broadcast, with the nonce, gas limit and fee it was signed with."""

    raw: bytes
    nonce: int
    gas_limit: int
    fee: int
    simulated: types_pb2.TxResult


def next_nonce(ctx: Context, key: AccountKey) -> Op[int]:
    """The nonce ``key``'s next tx carries: the node's pending nonce, or further if this client sent txs
    the node has not counted yet."""
    r: query_pb2.AccountResponse = yield Call(
        "query", "Account", query_pb2.AccountRequest(address="0x" + key.address.hex())
    )
    return max(r.pending_nonce, ctx.next_nonces.get(key.address, 0))


def sign(
    ctx: Context,
    key: AccountKey,
    msgs: Sequence[Msg],
    *,
    gas_limit: int | None = None,
    fee: int | None = None,
    nonce: int | None = None,
    memo: str = "",
) -> Op[Signed]:
    """Sign ``msgs`` with ``key``; ``gas_limit`` None: what simulation says the tx needs; ``fee`` None:
    the gas limit times the node's minimum gas price; ``nonce`` None: ``next_nonce``."""
    info = yield from node_info(ctx)
    if nonce is None:
        nonce = yield from next_nonce(ctx, key)
    gas = gas_limit or 0
    for _ in range(GAS_ROUNDS):
        paid = fee if fee is not None else gas * int(info.min_gas_price)
        raw = build_tx(
            key, chain_id=info.chain_id, nonce=nonce, msgs=list(msgs), gas_limit=gas, fee=paid, memo=memo
        )
        simulated = yield Call("tx", "Simulate", query_pb2.SimulateRequest(tx=raw))
        if gas_limit is not None or simulated.gas_estimate <= gas:
            return Signed(raw, nonce, gas, paid, simulated.result)
        gas = simulated.gas_estimate
    raise ClientError(f"the gas estimate kept growing over {GAS_ROUNDS} rounds (last {gas})")


def broadcast(
    ctx: Context,
    key: AccountKey,
    msgs: Sequence[Msg],
    *,
    gas_limit: int | None = None,
    fee: int | None = None,
    memo: str = "",
    wait: bool = True,
) -> Op[TxOutcome]:
    """Sign ``msgs`` (``sign``), refuse if simulation says the tx would fail (``TxWouldFail``; a nonce
    ahead of committed state is expected when earlier txs still wait), broadcast it and, with ``wait``,
    return once it is in a committed block."""
    signed = yield from sign(ctx, key, msgs, gas_limit=gas_limit, fee=fee, memo=memo)
    if signed.simulated.code not in (Code.OK, Code.BAD_NONCE):
        raise TxWouldFail(signed.simulated)
    mode = query_pb2.BROADCAST_MODE_COMMIT if wait else query_pb2.BROADCAST_MODE_SYNC
    request = query_pb2.BroadcastTxRequest(tx=signed.raw, mode=mode, timeout_ms=COMMIT_WAIT_MS)
    try:
        r = yield Call("tx", "BroadcastTx", request)
    except NodeError:
        ctx.next_nonces.pop(key.address, None)  # ask the node again next time
        raise
    ctx.next_nonces[key.address] = signed.nonce + 1
    return TxOutcome(r.tx_hash or tx_hash(signed.raw), r.committed, r.height, r.result)


def send(
    ctx: Context,
    key: AccountKey,
    to: str | bytes,
    amount: int,
    denom: str = OKT_DENOM,
    *,
    memo: str = "",
    wait: bool = True,
) -> Op[TxOutcome]:
    """Transfer ``amount`` base units of ``denom`` from ``key``'s account to ``to``."""
    if amount <= 0:
        raise ClientError("amount must be positive")
    transfer = Transfer(to=address_of(to), denom=denom, amount=amount)
    return (yield from broadcast(ctx, key, [transfer], memo=memo, wait=wait))
