"""Reading committed blocks from a benchmark's node cheaply: counting a block's txs costs one small
``BlockResults`` page, so polling for commits takes no CPU from the node under test (``GetTx`` decodes the
whole block it finds a tx in), and every result code is read page by page after the clock stops (a block's
results can pass the client's default 4 MiB message cap)."""

import time
from collections.abc import Iterable

from okchain._pb.node.v1 import query_pb2, query_pb2_grpc


def wait_for_txs(stub: query_pb2_grpc.NodeServiceStub, after: int, total: int) -> dict[int, int]:
    """Until the blocks above height ``after`` hold ``total`` txs; the tx count of each that holds any."""
    counts: dict[int, int] = {}
    height = after
    while sum(counts.values()) < total:
        latest = stub.NodeInfo(query_pb2.NodeInfoRequest()).latest_height
        while height < latest:
            height += 1
            request = query_pb2.BlockResultsRequest(height=height, page_size=1)
            count = stub.BlockResults(request, timeout=60).total_txs
            if count:
                counts[height] = count
        time.sleep(0.05)
    return counts


def tx_codes(stub: query_pb2_grpc.NodeServiceStub, heights: Iterable[int]) -> list[int]:
    """Every tx result code of the blocks at ``heights``, in order."""
    codes: list[int] = []
    for height in heights:
        token = ""
        while True:
            request = query_pb2.BlockResultsRequest(height=height, page_token=token, page_size=100)
            page = stub.BlockResults(request, timeout=60)
            codes.extend(r.code for r in page.tx_results)
            token = page.next_page_token
            if not token:
                break
    return codes
