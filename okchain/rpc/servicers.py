"""Wallet and explorer servicers. Writes go to the trio thread; reads come from LevelDB snapshots."""

from collections.abc import Callable
from typing import Any, TypeVar

import grpc
import trio

from okchain import __version__
from okchain._pb.bank.v1 import bank_pb2
from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain._pb.types.v1 import types_pb2
from okchain.crypto.address import to_bech32, to_checksum
from okchain.crypto.hashing import sha256
from okchain.errors import OKChainError
from okchain.mempool.pool import full_refusal
from okchain.modules.auth.keeper import get_nonce
from okchain.modules.bank import keeper as bank
from okchain.node.api import NodeAPI
from okchain.node.hub import HubClosed, HubFull, Overflowed
from okchain.query import StateQuery
from okchain.rpc import blocks
from okchain.rpc.convert import RequestError, address_arg, denom_arg, tx_info
from okchain.rpc.paging import PAGE_BYTES
from okchain.state import schema
from okchain.state.store import KVReader
from okchain.state.versions import VersionError
from okchain.tx.gas import required_gas
from okchain.types.block import result_to_proto
from okchain.types.results import Code

MAX_PAGE = 200
MAX_BATCH = 1000
MAX_STATE_KEY = 1024
R = TypeVar("R")


def status_of(exc: Exception) -> grpc.StatusCode | None:
    """The gRPC status a refused request answers with: a RequestError's own; a height the node does not
    keep (pruned, or not reached yet) is OUT_OF_RANGE; a stream over the node's limit or too slow to keep
    up is RESOURCE_EXHAUSTED, one cut by the node stopping UNAVAILABLE. None: a bug (grpcio says UNKNOWN)."""
    if isinstance(exc, RequestError):
        return exc.status
    if isinstance(exc, VersionError):
        return grpc.StatusCode.OUT_OF_RANGE
    if isinstance(exc, HubFull | Overflowed):
        return grpc.StatusCode.RESOURCE_EXHAUSTED
    if isinstance(exc, HubClosed):
        return grpc.StatusCode.UNAVAILABLE
    return None


def abort_refused(context: grpc.ServicerContext, exc: Exception) -> None:
    """End the call with ``exc``'s status and message (re-raise it if it is a bug)."""
    status = status_of(exc)
    if status is None:
        raise exc
    context.abort(status, str(exc))
    raise AssertionError("unreachable") from exc


def guarded(fn: Callable[..., R]) -> Callable[..., R]:
    """Answer a refused request with its gRPC status and precise message (``status_of``)."""

    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> R:
        try:
            return fn(self, request, context)
        except (RequestError, OKChainError) as exc:
            abort_refused(context, exc)
            raise AssertionError("unreachable") from exc

    wrapper.__name__ = fn.__name__
    return wrapper


class ServicerBase:
    def __init__(self, node: NodeAPI, token: trio.lowlevel.TrioToken) -> None:
        self.node = node
        self.token = token

    def query(self, height: int = 0) -> StateQuery:
        """Committed state at ``height`` (0: the latest)."""
        return self.node.app.query(height or None)


def proof_if(prove: bool, q: StateQuery, read: Callable[[KVReader], object]) -> types_pb2.ReadProof | None:
    """The proofs of what ``read`` reads, when the request asked for them (``StateQuery.proof_of``)."""
    return q.proof_of(read) if prove else None


def _hash_arg(raw: bytes) -> bytes:
    if len(raw) != 32:
        raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"hash must be 32 bytes, got {len(raw)}")
    return raw


class TxService(ServicerBase, query_pb2_grpc.TxServiceServicer):
    @guarded
    def BroadcastTx(
        self, request: query_pb2.BroadcastTxRequest, context: grpc.ServicerContext
    ) -> query_pb2.BroadcastTxResponse:
        checked = self.node.app.precheck(request.tx)  # signature recovery here, in parallel gRPC threads
        if not checked.result.ok:
            raise RequestError.refusing(checked.result)
        wait = request.mode == query_pb2.BROADCAST_MODE_COMMIT
        timeout = self.node.config.commit_timeout_s(request.timeout_ms)
        outcome = trio.from_thread.run(
            lambda: self.node.broadcast(request.tx, wait=wait, timeout_s=timeout), trio_token=self.token
        )
        added = outcome.add
        if not added.result.ok:
            raise RequestError.refusing(added.result)
        if outcome.timed_out:
            raise RequestError(
                grpc.StatusCode.DEADLINE_EXCEEDED,
                f"tx {added.tx_hash.hex()} is in the mempool but was not committed within {timeout:.1f} s",
            )
        result = outcome.result or added.result
        return query_pb2.BroadcastTxResponse(
            tx_hash=added.tx_hash,
            committed=outcome.committed,
            height=outcome.height,
            result=result_to_proto(result),
        )

    @guarded
    def BroadcastTxs(
        self, request: query_pb2.BroadcastTxsRequest, context: grpc.ServicerContext
    ) -> query_pb2.BroadcastTxsResponse:
        if len(request.txs) > MAX_BATCH:
            raise RequestError(
                grpc.StatusCode.INVALID_ARGUMENT, f"batch has {len(request.txs)} txs, limit is {MAX_BATCH}"
            )
        # A full pool refuses what pays no more than its cheapest txs before any signature is recovered.
        full = trio.from_thread.run_sync(self.node.mempool.admission_floor, trio_token=self.token)
        early = [None if full is None else full_refusal(raw, *full) for raw in request.txs]
        rest = [raw for raw, refused in zip(request.txs, early, strict=True) if refused is None]
        checked = iter(self.node.app.precheck_many(rest, self.node.recover))
        results = [next(checked).result if refused is None else refused for refused in early]
        fresh = [refused is None and r.ok for refused, r in zip(early, results, strict=True)]
        passed = [raw for raw, ok in zip(request.txs, fresh, strict=True) if ok]
        added = iter(trio.from_thread.run_sync(self.node.add_many, passed, trio_token=self.token))
        out = []
        for raw, ok, r in zip(request.txs, fresh, results, strict=True):
            result = next(added).result if ok else r
            out.append(query_pb2.CheckedTx(tx_hash=sha256(raw), code=int(result.code), log=result.log))
        return query_pb2.BroadcastTxsResponse(results=out)

    @guarded
    def Simulate(
        self, request: query_pb2.SimulateRequest, context: grpc.ServicerContext
    ) -> query_pb2.SimulateResponse:
        delivered = trio.from_thread.run_sync(self.node.app.simulate, request.tx, trio_token=self.token)
        if delivered.result.code in (Code.TX_DECODE, Code.TX_TOO_LARGE):
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, delivered.result.log)
        tx = delivered.tx
        return query_pb2.SimulateResponse(
            result=result_to_proto(delivered.result),
            gas_estimate=0 if tx is None else required_gas(tx, self.node.app.params),
        )

    @guarded
    def GetTx(
        self, request: query_pb2.GetTxRequest, context: grpc.ServicerContext
    ) -> query_pb2.GetTxResponse:
        tx_hash = _hash_arg(request.hash)
        stored = self.query().tx(tx_hash)
        if stored is None:
            raise RequestError(grpc.StatusCode.NOT_FOUND, f"tx {tx_hash.hex()} is not in a committed block")
        return query_pb2.GetTxResponse(
            tx=stored.raw,
            tx_hash=sha256(stored.raw),
            height=stored.height,
            index=stored.index,
            result=result_to_proto(stored.result),
            time_ns=stored.time_ns,
            info=tx_info(stored),
        )

    @guarded
    def TxsByBlock(
        self, request: query_pb2.TxsByBlockRequest, context: grpc.ServicerContext
    ) -> query_pb2.TxsResponse:
        return blocks.txs_by_block(self.query(), request)

    @guarded
    def TxsByAddress(
        self, request: query_pb2.TxsByAddressRequest, context: grpc.ServicerContext
    ) -> query_pb2.TxsResponse:
        if not self.node.config.address_index:
            raise RequestError(
                grpc.StatusCode.FAILED_PRECONDITION,
                "this node keeps no index of txs by address (address_index = false in its config.toml)",
            )
        return blocks.txs_by_address(self.query(), request)


class QueryService(ServicerBase, query_pb2_grpc.QueryServiceServicer):
    @guarded
    def Account(
        self, request: query_pb2.AccountRequest, context: grpc.ServicerContext
    ) -> query_pb2.AccountResponse:
        addr = address_arg(request.address)
        q = self.query(request.height)
        pending = trio.from_thread.run_sync(self.node.mempool.pending_nonce, addr, trio_token=self.token)
        return query_pb2.AccountResponse(
            address=to_checksum(addr),
            bech32=to_bech32(addr),
            nonce=q.nonce(addr),
            height=q.height,
            pending_nonce=pending,
            proof=proof_if(request.prove, q, lambda r: get_nonce(r, addr)),
        )

    @guarded
    def Balance(
        self, request: query_pb2.BalanceRequest, context: grpc.ServicerContext
    ) -> query_pb2.BalanceResponse:
        addr = address_arg(request.address)
        denom = denom_arg(request.denom)
        q = self.query(request.height)
        return query_pb2.BalanceResponse(
            balance=bank_pb2.Coin(denom=denom, amount=str(q.balance(addr, denom))),
            height=q.height,
            proof=proof_if(request.prove, q, lambda r: bank.get_balance(r, addr, denom)),
        )

    @guarded
    def AllBalances(
        self, request: query_pb2.AllBalancesRequest, context: grpc.ServicerContext
    ) -> query_pb2.AllBalancesResponse:
        addr = address_arg(request.address)
        size = min(request.page_size or 100, MAX_PAGE)
        q = self.query(request.height)
        rows = q.balances(addr, request.page_token, size + 1)
        next_token = rows[size][0] if len(rows) > size else ""
        return query_pb2.AllBalancesResponse(
            balances=[bank_pb2.Coin(denom=d, amount=str(a)) for d, a in rows[:size]],
            next_page_token=next_token,
            height=q.height,
        )

    @guarded
    def Supply(
        self, request: query_pb2.SupplyRequest, context: grpc.ServicerContext
    ) -> query_pb2.SupplyResponse:
        denom = denom_arg(request.denom)
        q = self.query(request.height)
        return query_pb2.SupplyResponse(
            supply=bank_pb2.Coin(denom=denom, amount=str(q.supply(denom))), height=q.height
        )

    @guarded
    def StateProof(
        self, request: query_pb2.StateProofRequest, context: grpc.ServicerContext
    ) -> query_pb2.StateProofResponse:
        if not request.key.startswith(schema.STATE) or len(request.key) > MAX_STATE_KEY:
            raise RequestError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"a state key starts with {schema.STATE!r} and has at most {MAX_STATE_KEY} bytes",
            )
        q = self.query(request.height)
        value, proof, root = q.prove(request.key)
        return query_pb2.StateProofResponse(
            value=value or b"", present=value is not None, proof=proof.to_bytes(), root=root, height=q.height
        )


class NodeService(ServicerBase, query_pb2_grpc.NodeServiceServicer):
    @guarded
    def NodeInfo(
        self, request: query_pb2.NodeInfoRequest, context: grpc.ServicerContext
    ) -> query_pb2.NodeInfoResponse:
        q = self.query()
        last = q.last
        assert last is not None
        status = trio.from_thread.run_sync(self.node.status, trio_token=self.token)
        return query_pb2.NodeInfoResponse(
            chain_id=self.node.app.chain_id,
            version=__version__,
            latest_height=last.height,
            latest_block_hash=last.block_hash,
            app_hash=last.app_hash,
            validator_address=self.node.validator_address,
            min_gas_price=str(self.node.config.min_gas_price),
            genesis_accounts=self.node.app.genesis_accounts,
            moniker=self.node.config.moniker,
            earliest_height=q.earliest_height,
            peers=status.peers,
            catching_up=status.catching_up,
            node_id=status.node_id,
            p2p_port=status.p2p_port,
            is_validator=status.is_validator,
            consensus_height=status.consensus_height,
            consensus_round=status.consensus_round,
        )

    def _block(self, q: StateQuery, height: int) -> query_pb2.BlockResponse:
        block = q.block(height)
        if block is None:
            raise RequestError(grpc.StatusCode.NOT_FOUND, f"no block at height {height}")
        results = q.results(height) or types_pb2.BlockResults()
        encoded = block.to_proto()
        total = len(encoded.txs)
        omitted = encoded.ByteSize() + results.ByteSize() > PAGE_BYTES
        if omitted:
            del encoded.txs[:]
            del results.tx_results[:]
        return query_pb2.BlockResponse(
            block_hash=block.hash, block=encoded, results=results, txs_omitted=omitted, total_txs=total
        )

    @guarded
    def LatestBlock(
        self, request: query_pb2.LatestBlockRequest, context: grpc.ServicerContext
    ) -> query_pb2.BlockResponse:
        q = self.query()
        return self._block(q, q.height)

    @guarded
    def BlockByHeight(
        self, request: query_pb2.BlockByHeightRequest, context: grpc.ServicerContext
    ) -> query_pb2.BlockResponse:
        q = self.query()
        if request.height > q.height:
            raise RequestError(
                grpc.StatusCode.NOT_FOUND, f"height {request.height} is above the latest height {q.height}"
            )
        return self._block(q, request.height)

    @guarded
    def BlockByHash(
        self, request: query_pb2.BlockByHashRequest, context: grpc.ServicerContext
    ) -> query_pb2.BlockResponse:
        block_hash = _hash_arg(request.hash)
        q = self.query()
        height = q.height_of(block_hash)
        if height is None:
            raise RequestError(grpc.StatusCode.NOT_FOUND, f"no block with hash {block_hash.hex()}")
        return self._block(q, height)

    @guarded
    def BlockResults(
        self, request: query_pb2.BlockResultsRequest, context: grpc.ServicerContext
    ) -> query_pb2.BlockResultsResponse:
        return blocks.block_results(self.query(), request)

    @guarded
    def BlockWithTxs(
        self, request: query_pb2.BlockWithTxsRequest, context: grpc.ServicerContext
    ) -> query_pb2.BlockWithTxsResponse:
        return blocks.block_with_txs(self.query(), request)

    @guarded
    def Headers(
        self, request: query_pb2.HeadersRequest, context: grpc.ServicerContext
    ) -> query_pb2.HeadersResponse:
        return blocks.headers(self.query(), request)
