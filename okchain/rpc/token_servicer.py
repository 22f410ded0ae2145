"""TokenQuery: token records and supplies, read from one committed snapshot per call."""

import grpc

from okchain._pb.token.v1 import query_pb2, query_pb2_grpc, token_pb2
from okchain.rpc.convert import RequestError, denom_arg, token_to_proto
from okchain.rpc.servicers import MAX_PAGE, ServicerBase, guarded
from okchain.types.params import OKT_DENOM


class TokenQueryService(ServicerBase, query_pb2_grpc.TokenQueryServicer):
    @guarded
    def Token(
        self, request: query_pb2.TokenRequest, context: grpc.ServicerContext
    ) -> query_pb2.TokenResponse:
        denom = denom_arg(request.denom)
        q = self.query(request.height)
        if denom == OKT_DENOM:  # the native coin: no owner, never minted; its supply falls when burned
            okt = token_pb2.Token(
                denom=OKT_DENOM, symbol=OKT_DENOM, name="OKT", supply=str(q.supply(OKT_DENOM))
            )
            return query_pb2.TokenResponse(token=okt, height=q.height)
        info = q.token(denom)
        if info is None:
            raise RequestError(grpc.StatusCode.NOT_FOUND, f"no token {denom!r}")
        return query_pb2.TokenResponse(token=token_to_proto(info, q.supply(denom)), height=q.height)

    @guarded
    def Tokens(
        self, request: query_pb2.TokensRequest, context: grpc.ServicerContext
    ) -> query_pb2.TokensResponse:
        size = min(request.page_size or 100, MAX_PAGE)
        q = self.query(request.height)
        rows = q.tokens(request.page_token, size + 1)
        next_token = rows[size].denom if len(rows) > size else ""
        return query_pb2.TokensResponse(
            tokens=[token_to_proto(info, q.supply(info.denom)) for info in rows[:size]],
            next_page_token=next_token,
            height=q.height,
        )
