"""SlashingQuery: validators' signing records and the slashing parameters, from one committed snapshot."""

import grpc

from okchain._pb.slashing.v1 import query_pb2, query_pb2_grpc
from okchain.crypto.address import to_checksum
from okchain.modules.slashing.beginblock import max_missed
from okchain.rpc.convert import RequestError, address_arg
from okchain.rpc.servicers import ServicerBase, guarded

_PUBKEY_LEN = 32


class SlashingQueryService(ServicerBase, query_pb2_grpc.SlashingQueryServicer):
    @guarded
    def SigningInfo(
        self, request: query_pb2.SigningInfoRequest, context: grpc.ServicerContext
    ) -> query_pb2.SigningInfoResponse:
        q = self.query(request.height)
        if request.operator:
            operator = address_arg(request.operator)
            validator = q.validator(operator)
            if validator is None:
                raise RequestError(
                    grpc.StatusCode.NOT_FOUND, f"no validator operated by {to_checksum(operator)}"
                )
            pubkey = validator.pubkey
        elif len(request.consensus_pubkey) == _PUBKEY_LEN:
            pubkey = request.consensus_pubkey
        else:
            raise RequestError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"give an operator address or a {_PUBKEY_LEN}-byte consensus public key",
            )
        info = q.signing_info(pubkey)
        if info is None:
            raise RequestError(
                grpc.StatusCode.NOT_FOUND,
                f"consensus key {pubkey.hex()} has not signed a block of this chain",
            )
        owner = q.consensus_key_owner(pubkey)
        return query_pb2.SigningInfoResponse(
            info=query_pb2.SigningInfo(
                consensus_pubkey=pubkey,
                operator=to_checksum(owner) if owner is not None else "",
                start_height=info.start_height,
                window_index=info.index,
                missed_blocks=info.missed,
                jailed=info.jailed or info.tombstoned,
                jailed_until_ns=info.jailed_until_ns,
                tombstoned=info.tombstoned,
            ),
            height=q.height,
        )

    @guarded
    def Params(
        self, request: query_pb2.ParamsRequest, context: grpc.ServicerContext
    ) -> query_pb2.ParamsResponse:
        p = self.node.app.params
        return query_pb2.ParamsResponse(
            window_blocks=p.slashing_window_blocks,
            min_signed_rate=str(p.slashing_min_signed_rate),
            downtime_jail_seconds=p.slashing_downtime_jail_seconds,
            double_sign_rate=str(p.slashing_double_sign_rate),
            max_block_evidence=p.max_block_evidence,
            evidence_max_age_blocks=p.evidence_max_age_blocks,
            max_missed_blocks=max_missed(p),
        )
