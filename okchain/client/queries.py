"""Read operations: accounts, balances, txs and blocks, each one gRPC call (or one per page)."""

from dataclasses import dataclass

from okchain._pb.dex.v1 import query_pb2 as dex_query_pb2
from okchain._pb.node.v1 import query_pb2
from okchain._pb.stream.v1 import stream_pb2
from okchain.client.core import Call, Context, Op, address_of, hash_of, pages
from okchain.crypto.address import Address
from okchain.types.params import OKT_DENOM


@dataclass(frozen=True, slots=True)
class Account:
    """An account's nonces: ``nonce`` by committed state at ``height``; ``pending_nonce`` counts the txs
    waiting in the node's mempool too (the nonce to sign the next tx with)."""

    address: Address
    nonce: int
    pending_nonce: int
    height: int


def account(ctx: Context, address: str | bytes, height: int = 0) -> Op[Account]:
    """The account's nonces (``height`` 0: the latest state)."""
    addr = address_of(address)
    r = yield Call("query", "Account", query_pb2.AccountRequest(address="0x" + addr.hex(), height=height))
    return Account(addr, r.nonce, r.pending_nonce, r.height)


def balance(ctx: Context, address: str | bytes, denom: str = OKT_DENOM, height: int = 0) -> Op[int]:
    """The account's balance of ``denom`` in base units (OKT: 10^-18)."""
    addr = address_of(address)
    request = query_pb2.BalanceRequest(address="0x" + addr.hex(), denom=denom, height=height)
    r = yield Call("query", "Balance", request)
    return int(r.balance.amount)


def balances(ctx: Context, address: str | bytes, height: int = 0) -> Op[dict[str, int]]:
    """Every denom the account holds, in denom order, read page by page at one height."""
    addr = address_of(address)
    first = yield Call("node", "NodeInfo", query_pb2.NodeInfoRequest())
    height = height or first.latest_height  # every page at the same height, even while blocks commit
    request = query_pb2.AllBalancesRequest(address="0x" + addr.hex(), height=height)
    return {
        c.denom: int(c.amount)
        for page in (yield from pages("query", "AllBalances", request))
        for c in page.balances
    }


def supply(ctx: Context, denom: str = OKT_DENOM, height: int = 0) -> Op[int]:
    """The total supply of ``denom`` in base units."""
    r = yield Call("query", "Supply", query_pb2.SupplyRequest(denom=denom, height=height))
    return int(r.supply.amount)


def pairs(ctx: Context, height: int = 0) -> Op[list[dex_query_pb2.Pair]]:
    """Every DEX pair ever listed, by id, read page by page at one height (the node pages them)."""
    first = yield Call("node", "NodeInfo", query_pb2.NodeInfoRequest())
    request = dex_query_pb2.PairsRequest(height=height or first.latest_height)
    return [p for page in (yield from pages("dex", "Pairs", request)) for p in page.pairs]


def tx(ctx: Context, tx_hash: str | bytes) -> Op[query_pb2.GetTxResponse]:
    """A committed tx with its height, result, events and decoded messages; ``NodeError`` NOT_FOUND if
    no committed block holds it."""
    r: query_pb2.GetTxResponse = yield Call("tx", "GetTx", query_pb2.GetTxRequest(hash=hash_of(tx_hash)))
    return r


def txs_by_address(
    ctx: Context, address: str | bytes, page_token: str = "", page_size: int = 30, height: int = 0
) -> Op[query_pb2.TxsResponse]:
    """One page of the txs ``address`` signed or received, newest first; pass the answer's
    ``next_page_token`` for the next page (empty: this was the last)."""
    addr = address_of(address)
    request = query_pb2.TxsByAddressRequest(
        address="0x" + addr.hex(), page_token=page_token, page_size=page_size, height=height
    )
    r: query_pb2.TxsResponse = yield Call("tx", "TxsByAddress", request)
    return r


def block(ctx: Context, height: int = 0, page_token: str = "") -> Op[query_pb2.BlockWithTxsResponse]:
    """A block's header, commit and one page of its decoded txs with their results (``height`` 0: the
    latest); large blocks come in several pages, each under the message size cap."""
    request = query_pb2.BlockWithTxsRequest(height=height, page_token=page_token)
    r: query_pb2.BlockWithTxsResponse = yield Call("node", "BlockWithTxs", request)
    return r


def blocks_stream(from_height: int = 0) -> Call:
    """``SubscribeBlocks``: one summary per committed block (from ``from_height``; 0: from now on)."""
    return Call("stream", "SubscribeBlocks", stream_pb2.SubscribeBlocksRequest(from_height=from_height))


def txs_stream(address: str | bytes = "", from_height: int = 0) -> Call:
    """``SubscribeTxs``: every committed tx, or those ``address`` signed or received."""
    text = "0x" + address_of(address).hex() if address else ""
    return Call(
        "stream", "SubscribeTxs", stream_pb2.SubscribeTxsRequest(from_height=from_height, address=text)
    )


def deals_stream(pair: str, from_height: int = 0) -> Call:
    """``SubscribeDeals``: the fills of a DEX pair's auctions, block by block."""
    return Call(
        "stream", "SubscribeDeals", stream_pb2.SubscribeDealsRequest(from_height=from_height, pair=pair)
    )
