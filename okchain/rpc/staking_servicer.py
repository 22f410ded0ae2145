"""StakingQuery: validators, voters and unbondings, read from one committed snapshot per call."""

import grpc

from okchain._pb.staking.v1 import query_pb2, query_pb2_grpc
from okchain.app import AppError
from okchain.crypto.address import to_checksum
from okchain.modules.staking import queries as staking
from okchain.modules.staking.keeper import Validator
from okchain.modules.staking.queries import STATUSES
from okchain.rpc.convert import RequestError, address_arg
from okchain.rpc.servicers import MAX_PAGE, ServicerBase, guarded, proof_if
from okchain.types.params import OKT_DENOM


def validator_to_proto(v: Validator, status: str) -> query_pb2.ValidatorInfo:
    d = v.description
    return query_pb2.ValidatorInfo(
        operator=to_checksum(v.operator),
        consensus_pubkey=v.pubkey,
        moniker=d.moniker,
        identity=d.identity,
        website=d.website,
        details=d.details,
        commission_rate=str(v.commission_rate),
        max_rate=str(v.max_rate),
        max_change_rate=str(v.max_change_rate),
        commission_time_ns=v.commission_time_ns,
        self_deposit=str(v.self_deposit),
        shares=str(v.shares),
        vote_shares=str(v.vote_shares),
        voters=v.voters,
        destroyed=v.destroyed,
        status=status,
    )


class StakingQueryService(ServicerBase, query_pb2_grpc.StakingQueryServicer):
    @guarded
    def Validators(
        self, request: query_pb2.ValidatorsRequest, context: grpc.ServicerContext
    ) -> query_pb2.ValidatorsResponse:
        size = min(request.page_size or 100, MAX_PAGE)
        if request.status and request.status not in STATUSES:
            raise RequestError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"status {request.status!r} is not one of {', '.join(STATUSES)}",
            )
        q = self.query(request.height)
        ranked = [(v, q.validator_status(v)) for v in q.validators()]
        if request.status:
            ranked = [(v, s) for v, s in ranked if s == request.status]
        start = 0
        if request.page_token:
            operator = address_arg(request.page_token)
            start = next((i for i, (v, _) in enumerate(ranked) if v.operator == operator), -1)
            if start < 0:
                raise RequestError(
                    grpc.StatusCode.INVALID_ARGUMENT, f"page token {request.page_token} names no validator"
                )
        page = ranked[start : start + size]
        rest = ranked[start + size : start + size + 1]
        return query_pb2.ValidatorsResponse(
            validators=[validator_to_proto(v, s) for v, s in page],
            next_page_token=to_checksum(rest[0][0].operator) if rest else "",
            height=q.height,
        )

    @guarded
    def Validator(
        self, request: query_pb2.ValidatorRequest, context: grpc.ServicerContext
    ) -> query_pb2.ValidatorResponse:
        operator = address_arg(request.operator)
        q = self.query(request.height)
        found = q.validator(operator)
        if found is None:
            raise RequestError(grpc.StatusCode.NOT_FOUND, f"no validator operated by {to_checksum(operator)}")
        return query_pb2.ValidatorResponse(
            validator=validator_to_proto(found, q.validator_status(found)),
            height=q.height,
            proof=proof_if(request.prove, q, lambda r: staking.validator(r, operator)),
        )

    @guarded
    def Voter(
        self, request: query_pb2.VoterRequest, context: grpc.ServicerContext
    ) -> query_pb2.VoterResponse:
        addr = address_arg(request.address)
        q = self.query(request.height)
        voter = q.voter(addr)
        return query_pb2.VoterResponse(
            deposit=str(voter.deposit),
            shares=str(voter.shares),
            validators=[to_checksum(v) for v in voter.validators],
            is_proxy=voter.is_proxy,
            proxy=to_checksum(voter.proxy) if voter.proxy is not None else "",
            bound=str(voter.bound),
            unbondings=[
                query_pb2.UnbondingInfo(completion_ns=u.completion_ns, amount=str(u.amount))
                for u in q.unbondings(addr)
            ],
            height=q.height,
            proof=proof_if(request.prove, q, lambda r: staking.voter(r, addr)),
        )

    @guarded
    def ValidatorSet(
        self, request: query_pb2.ValidatorSetRequest, context: grpc.ServicerContext
    ) -> query_pb2.ValidatorSetResponse:
        app = self.node.app
        height = request.height or app.last.height + 1
        try:
            validators = app.validator_set(height)
        except AppError as exc:
            raise RequestError(grpc.StatusCode.OUT_OF_RANGE, str(exc)) from exc
        size = min(request.page_size or 100, MAX_PAGE)
        start = _position(request.page_token)
        page = validators.validators[start : start + size]
        more = start + size < len(validators.validators)
        return query_pb2.ValidatorSetResponse(
            validators=[
                query_pb2.ConsensusValidator(
                    address=v.address, pub_key=v.pub_key, power=v.power, proposer_priority=v.priority
                )
                for v in page
            ],
            next_page_token=str(start + size) if more else "",
            height=height,
            total_power=validators.total_power,
            proposer_address=validators.proposer_address,
            validators_hash=validators.hash(),
        )

    @guarded
    def Params(
        self, request: query_pb2.ParamsRequest, context: grpc.ServicerContext
    ) -> query_pb2.ParamsResponse:
        p = self.node.app.params
        return query_pb2.ParamsResponse(
            min_self_deposit=str(p.staking_min_self_deposit),
            min_deposit=str(p.staking_min_deposit),
            unbonding_seconds=p.staking_unbonding_seconds,
            commission_interval_seconds=p.staking_commission_interval_seconds,
            max_votes=p.staking_max_votes,
            constant_weight=bool(p.staking_constant_weight),
            epoch_blocks=p.staking_epoch_blocks,
            max_validators=p.staking_max_validators,
            power_unit=str(p.staking_power_unit),
        )

    @guarded
    def Pool(self, request: query_pb2.PoolRequest, context: grpc.ServicerContext) -> query_pb2.PoolResponse:
        q = self.query(request.height)
        bonded = q.bonded()
        return query_pb2.PoolResponse(
            bonded=str(bonded),
            unbonding=str(q.unbonding_total()),
            not_bonded=str(q.supply(OKT_DENOM) - bonded),
            height=q.height,
        )


def _position(token: str) -> int:
    if not token:
        return 0
    if not token.isdigit() or len(token) > 6:
        raise RequestError(
            grpc.StatusCode.INVALID_ARGUMENT, f"page token {token!r} is not one this query gave"
        )
    return int(token)
