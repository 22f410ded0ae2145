"""Verified reads: answers a wallet can trust without trusting the node.

The client trusts one root it got elsewhere (the chain's genesis file: its validators sign the initial
height). To read state at height H it verifies the header of H + 1, which carries H's app hash, with the
light client (``okchain.types.light``), following every validator-set change from the highest height it
already verified below; then it checks the node's Merkle proofs of the keys the answer reads against that
app hash and recomputes the answer itself with the modules' own query code (``okchain.state.proven``).
A tampered proof, a header signed by a set the client cannot link to its root, or an answer for another
height than asked raise ``VerifyError``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf.message import Message

from okchain._pb.dex.v1 import query_pb2 as dex_pb2
from okchain._pb.node.v1 import query_pb2
from okchain._pb.staking.v1 import query_pb2 as staking_pb2
from okchain._pb.types.v1 import types_pb2
from okchain.client.core import Call, Context, Op, address_of, pages
from okchain.client.errors import ClientError, VerifyError
from okchain.client.trust import TrustStore
from okchain.modules.auth.keeper import get_nonce
from okchain.modules.bank.keeper import get_balance
from okchain.modules.dex.messages import parse_order_id
from okchain.modules.dex.queries import DexReader, OrderView
from okchain.modules.staking import queries as staking
from okchain.modules.staking.keeper import Validator, Voter
from okchain.state.proven import ProofError, ProvenState, UnprovableRead
from okchain.state.store import KVReader
from okchain.types.block import Commit, Header
from okchain.types.light import LightBlock, LightError, verification
from okchain.types.params import OKT_DENOM

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Verified(Generic[T]):
    """An answer recomputed from state proven against ``app_hash``, the state root after ``height``
    (carried by the light-client-verified header of ``height + 1``)."""

    value: T
    height: int
    app_hash: bytes


def _powers(height: int) -> Op[list[tuple[bytes, int]]]:
    request = staking_pb2.ValidatorSetRequest(height=height)
    answers = yield from pages("staking", "ValidatorSet", request)
    return [(v.pub_key, v.power) for page in answers for v in page.validators]


def light_block(height: int) -> Op[LightBlock]:
    """The header and commit of ``height`` and the sets of it and the next, as the node serves them."""
    r = yield Call("node", "Headers", query_pb2.HeadersRequest(from_height=height, to_height=height))
    if len(r.headers) != 1:
        raise VerifyError(f"the node served {len(r.headers)} headers for height {height}")
    signed = r.headers[0]
    header, commit = Header.from_proto(signed.header), Commit.from_proto(signed.commit)
    return LightBlock(header, commit, (yield from _powers(height)), (yield from _powers(height + 1)))


def verified_app_hash(trust: TrustStore, height: int) -> Op[bytes]:
    """The app hash of the state after ``height``, from the verified header of ``height + 1``."""
    target = height + 1
    if target in trust.app_hashes:
        return trust.app_hashes[target]
    steps = verification(trust.chain_id, trust.start_below(target), target)
    try:
        wanted = next(steps)
        while True:
            wanted = steps.send((yield from light_block(wanted)))
    except StopIteration as done:
        block: LightBlock = done.value
    except LightError as exc:
        raise VerifyError(f"the node's headers cannot be trusted: {exc}") from None
    trust.add(block)
    return block.header.app_hash


def latest_provable(height: int) -> Op[int]:
    """``height``, or for 0 the newest state a header already vouches for (the one before the latest)."""
    if height:
        return height
    info = yield Call("node", "NodeInfo", query_pb2.NodeInfoRequest())
    if info.latest_height < 2:
        raise VerifyError("the chain has no state a committed header vouches for yet")
    return int(info.latest_height) - 1


def _proven(
    trust: TrustStore, height: int, service: str, method: str, request: Message, read: Callable[[KVReader], T]
) -> Op[Verified[T]]:
    """Ask with ``prove`` at ``height``, check the proofs against the verified app hash and recompute the
    answer with ``read`` over the proven values only."""
    response = yield Call(service, method, request)
    proof: types_pb2.ReadProof = response.proof
    if proof.height != height or response.height != height:
        raise VerifyError(f"asked for the state at height {height}, the node answered for {response.height}")
    app_hash = yield from verified_app_hash(trust, height)
    if proof.root != app_hash:
        raise VerifyError(
            f"the proofs lead to root {proof.root.hex()}, not the signed app hash {app_hash.hex()}"
        )
    triples = [(v.key, v.value if v.present else None, v.proof) for v in proof.values]
    try:
        return Verified(read(ProvenState(app_hash, triples)), height, app_hash)
    except (ProofError, UnprovableRead) as exc:
        raise VerifyError(str(exc)) from None


def verified_balance(
    ctx: Context, address: str | bytes, denom: str = OKT_DENOM, height: int = 0
) -> Op[Verified[int]]:
    """The balance, proven (``height`` 0: the newest provable state)."""
    addr = address_of(address)
    height = yield from latest_provable(height)
    request = query_pb2.BalanceRequest(address="0x" + addr.hex(), denom=denom, height=height, prove=True)
    return (
        yield from _proven(
            ctx.trusted, height, "query", "Balance", request, lambda r: get_balance(r, addr, denom)
        )
    )


def verified_nonce(ctx: Context, address: str | bytes, height: int = 0) -> Op[Verified[int]]:
    """The committed nonce (the next tx's, once the mempool is empty), proven."""
    addr = address_of(address)
    height = yield from latest_provable(height)
    request = query_pb2.AccountRequest(address="0x" + addr.hex(), height=height, prove=True)
    return (
        yield from _proven(ctx.trusted, height, "query", "Account", request, lambda r: get_nonce(r, addr))
    )


def _present(value: T | None, what: str) -> T:
    if value is None:
        raise VerifyError(f"the node answered with {what}, but its proofs show there is none")
    return value


def verified_order(ctx: Context, order_id: str, height: int = 0) -> Op[Verified[OrderView]]:
    """A DEX order by id ("123-45"), proven. An order the node says does not exist is ``NodeError``
    NOT_FOUND, one whose height left the DEX history window OUT_OF_RANGE (neither absence is proven)."""
    oid = parse_order_id(order_id)
    if oid is None:
        raise ClientError(f"{order_id!r} is not an order id (height-sequence, e.g. 12-0)")
    height = yield from latest_provable(height)
    request = dex_pb2.OrderRequest(id=order_id, height=height, prove=True)
    return (
        yield from _proven(
            ctx.trusted,
            height,
            "dex",
            "Order",
            request,
            lambda r: _present(DexReader(r, 0).order(oid), "an order"),
        )
    )


def verified_validator(ctx: Context, operator: str | bytes, height: int = 0) -> Op[Verified[Validator]]:
    """A staking validator's record (shares, commission, jailing), proven; one the node says does not
    exist is ``NodeError`` NOT_FOUND."""
    op = address_of(operator)
    height = yield from latest_provable(height)
    request = staking_pb2.ValidatorRequest(operator="0x" + op.hex(), height=height, prove=True)
    return (
        yield from _proven(
            ctx.trusted,
            height,
            "staking",
            "Validator",
            request,
            lambda r: _present(staking.validator(r, op), "a validator"),
        )
    )


def verified_voter(ctx: Context, address: str | bytes, height: int = 0) -> Op[Verified[Voter]]:
    """An account's staking record (deposit, shares, votes, proxy), proven."""
    addr = address_of(address)
    height = yield from latest_provable(height)
    request = staking_pb2.VoterRequest(address="0x" + addr.hex(), height=height, prove=True)
    return (
        yield from _proven(ctx.trusted, height, "staking", "Voter", request, lambda r: staking.voter(r, addr))
    )
