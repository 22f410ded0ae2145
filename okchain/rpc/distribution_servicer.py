"""DistributionQuery and MintQuery: rewards, commission, the community pool and the provision schedule,
read from one committed snapshot per call (parameters come from genesis)."""

import grpc

from okchain._pb.distribution.v1 import query_pb2 as dist_pb2
from okchain._pb.distribution.v1 import query_pb2_grpc as dist_pb2_grpc
from okchain._pb.mint.v1 import query_pb2 as mint_pb2
from okchain._pb.mint.v1 import query_pb2_grpc as mint_pb2_grpc
from okchain.crypto.address import to_checksum
from okchain.modules.distribution import queries as dist
from okchain.modules.mint import queries as mint
from okchain.rpc.convert import address_arg
from okchain.rpc.servicers import ServicerBase, guarded


class DistributionQueryService(ServicerBase, dist_pb2_grpc.DistributionQueryServicer):
    @guarded
    def Rewards(
        self, request: dist_pb2.RewardsRequest, context: grpc.ServicerContext
    ) -> dist_pb2.RewardsResponse:
        addr = address_arg(request.address)
        q = self.query(request.height)
        rewards = dist.pending_rewards(q.reader, addr)
        return dist_pb2.RewardsResponse(
            rewards=[dist_pb2.ValidatorReward(validator=to_checksum(op), amount=str(a)) for op, a in rewards],
            total=str(sum(a for _, a in rewards)),
            commission=str(dist.commission(q.reader, addr)),
            height=q.height,
        )

    @guarded
    def ValidatorRewards(
        self, request: dist_pb2.ValidatorRewardsRequest, context: grpc.ServicerContext
    ) -> dist_pb2.ValidatorRewardsResponse:
        operator = address_arg(request.operator)
        q = self.query(request.height)
        return dist_pb2.ValidatorRewardsResponse(
            outstanding=str(dist.outstanding(q.reader, operator)),
            commission=str(dist.commission(q.reader, operator)),
            height=q.height,
        )

    @guarded
    def CommunityPool(
        self, request: dist_pb2.CommunityPoolRequest, context: grpc.ServicerContext
    ) -> dist_pb2.CommunityPoolResponse:
        q = self.query(request.height)
        return dist_pb2.CommunityPoolResponse(amount=str(dist.community_pool(q.reader)), height=q.height)

    @guarded
    def Params(
        self, request: dist_pb2.ParamsRequest, context: grpc.ServicerContext
    ) -> dist_pb2.ParamsResponse:
        p = self.node.app.params
        view = dist.params(p)
        return dist_pb2.ParamsResponse(
            community_tax=str(view.community_tax),
            signer_share=str(view.signer_share),
            withdraw_gas=str(p.distribution_withdraw_gas),
        )


class MintQueryService(ServicerBase, mint_pb2_grpc.MintQueryServicer):
    @guarded
    def Params(
        self, request: mint_pb2.ParamsRequest, context: grpc.ServicerContext
    ) -> mint_pb2.ParamsResponse:
        view = mint.params(self.node.app.params)
        return mint_pb2.ParamsResponse(
            initial_per_block=str(view.initial_per_block),
            blocks_per_year=view.blocks_per_year,
            halving_years=view.halving_years,
        )

    @guarded
    def Reward(
        self, request: mint_pb2.RewardRequest, context: grpc.ServicerContext
    ) -> mint_pb2.RewardResponse:
        height = self.query(request.height).height
        amount = mint.current_reward(height, self.node.app.params)
        return mint_pb2.RewardResponse(amount=str(amount), height=height + 1)
