"""Block, header and tx lists for explorers, wallets and light clients, each read from one snapshot.

The servicers (``TxService``, ``NodeService``) delegate here; every function takes the call's
``StateQuery`` and request and raises ``RequestError`` (or ``VersionError`` for heights not kept). Every
list is paged (``okchain.rpc.paging``): a bounded number of items and bytes per reply, whatever the block
or index size.
"""

import grpc

from okchain._pb.node.v1 import query_pb2
from okchain._pb.types.v1 import types_pb2
from okchain.query import StateQuery
from okchain.rpc.convert import RequestError, address_arg, tx_info
from okchain.rpc.paging import (
    decode_token,
    encode_token,
    height_token,
    index_page,
    page_size,
    within_budget,
)
from okchain.state import indexes
from okchain.state.blockstore import stored_tx
from okchain.types.block import Block

ROLES: dict[int, tuple[indexes.Role, ...]] = {
    query_pb2.ADDRESS_ROLE_ANY: (indexes.Role.SENDER, indexes.Role.RECIPIENT),
    query_pb2.ADDRESS_ROLE_SENDER: (indexes.Role.SENDER,),
    query_pb2.ADDRESS_ROLE_RECIPIENT: (indexes.Role.RECIPIENT,),
}


def _start(q: StateQuery, height: int, token: str) -> tuple[int, int]:
    """(height, first tx index) of a page of one block's txs: the token's, else ``height`` from 0."""
    at, start = height_token(token, height) if token else (height, 0)
    return q.kept_height(at), start


def _block(q: StateQuery, height: int) -> tuple[Block, types_pb2.BlockResults]:
    block, results = q.block(height), q.results(height)
    if block is None or results is None:
        raise RequestError(grpc.StatusCode.NOT_FOUND, f"no block at height {height}")
    return block, results


def block_results(q: StateQuery, request: query_pb2.BlockResultsRequest) -> query_pb2.BlockResultsResponse:
    height, start = _start(q, request.height, request.page_token)
    results = q.results(height)
    if results is None:
        raise RequestError(grpc.StatusCode.NOT_FOUND, f"no block at height {height}")
    page, token = index_page(
        height,
        start,
        len(results.tx_results),
        page_size(request.page_size),
        lambda indexes: [results.tx_results[i] for i in indexes],
    )
    return query_pb2.BlockResultsResponse(
        height=height,
        app_hash=results.app_hash,
        first_index=start,
        tx_results=page,
        total_txs=len(results.tx_results),
        next_page_token=token,
    )


def _txs_page(
    q: StateQuery, height: int, token: str, size: int
) -> tuple[Block, types_pb2.BlockResults, list[query_pb2.TxInfo], str]:
    height, start = _start(q, height, token)
    block, results = _block(q, height)
    txs, token = index_page(
        height,
        start,
        len(block.txs),
        page_size(size),
        lambda indexes: [tx_info(stored_tx(block, results, i)) for i in indexes],
    )
    return block, results, txs, token


def block_with_txs(q: StateQuery, request: query_pb2.BlockWithTxsRequest) -> query_pb2.BlockWithTxsResponse:
    block, results, txs, token = _txs_page(q, request.height, request.page_token, request.page_size)
    reply = query_pb2.BlockWithTxsResponse(
        block_hash=block.hash,
        header=block.header.to_proto(),
        total_txs=len(block.txs),
        txs=txs,
        next_page_token=token,
        app_hash=results.app_hash,
    )
    if block.last_commit is not None:
        reply.last_commit.CopyFrom(block.last_commit.to_proto())
    return reply


def txs_by_block(q: StateQuery, request: query_pb2.TxsByBlockRequest) -> query_pb2.TxsResponse:
    _, _, txs, token = _txs_page(q, request.height, request.page_token, request.page_size)
    return query_pb2.TxsResponse(txs=txs, next_page_token=token)


def headers(q: StateQuery, request: query_pb2.HeadersRequest) -> query_pb2.HeadersResponse:
    """Heights ``from_height..to_height`` in order; the first kept height may have no block (the genesis
    state's height, or a state snapshot's), and is skipped."""
    first, last = request.from_height, request.to_height
    if last and first > last:
        raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"from_height {first} is above to_height {last}")
    if last:
        q.kept_height(min(last, q.latest_height))
    first = q.kept_height(first) if first else q.earliest_height
    end = min(last or q.latest_height, q.latest_height)
    start = first
    if request.page_token:
        (start,) = decode_token(request.page_token, 1)
        if not first <= start <= end + 1:
            raise RequestError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"page token starts at height {start}, outside the range {first}..{end}",
            )
        q.kept_height(start)
    found: list[query_pb2.SignedHeader] = []
    size = page_size(request.page_size)
    for height in range(start, end + 1):  # only the first kept height can lack a block: bounded
        if len(found) == size:
            break
        block, commit = q.block(height), q.commit(height)
        if block is not None and commit is not None:
            found.append(
                query_pb2.SignedHeader(
                    block_hash=block.hash, header=block.header.to_proto(), commit=commit.to_proto()
                )
            )
    page = within_budget(found)
    following = page[-1].header.height + 1 if page else end + 1
    return query_pb2.HeadersResponse(
        headers=page, next_page_token=encode_token(following) if following <= end else ""
    )


def txs_by_address(q: StateQuery, request: query_pb2.TxsByAddressRequest) -> query_pb2.TxsResponse:
    """Newest first from the address index; a page scans at most ``size + 1`` index keys per role."""
    addr = address_arg(request.address)
    roles = ROLES.get(request.role)
    if roles is None:
        raise RequestError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"role {request.role} is not ADDRESS_ROLE_ANY (0), _SENDER (1) or _RECIPIENT (2)",
        )
    if request.page_token:
        height, index = decode_token(request.page_token, 2)
        start = (q.kept_height(height), index)
    else:
        start = (q.kept_height(request.height), indexes.LAST_INDEX)
    positions, following = q.address_txs(addr, roles, start, page_size(request.page_size))
    page = within_budget(tx_info(stored) for stored in q.txs_at(positions))
    if len(page) < len(positions):
        following = positions[len(page)]
    token = "" if following is None else encode_token(*following)
    return query_pb2.TxsResponse(txs=page, next_page_token=token)
