"""DistributionQuery and MintQuery over gRPC against a real node process, and ``okchaind tx distribution
withdraw-rewards`` / ``query distribution|mint`` from a keyring key. (Amounts hold whether or not the node
already runs the block begin hooks: they are checked for shape and consistency, not for size.)"""

from collections.abc import Iterator

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from okchain._pb.distribution.v1 import query_pb2 as dist_pb2
from okchain._pb.distribution.v1 import query_pb2_grpc as dist_grpc
from okchain._pb.mint.v1 import query_pb2 as mint_pb2
from okchain._pb.mint.v1 import query_pb2_grpc as mint_grpc
from okchain.crypto.address import to_checksum
from okchain.crypto.hd import account_from_mnemonic
from okchain.modules.staking.messages import Deposit, Vote
from okchain.types.params import ChainParams
from tests.helpers.chain import DEV_MNEMONIC, OKT, funded_keys
from tests.helpers.processes import NodeProcess, add_keyring_key, cli_json, init_node, serve
from tests.helpers.staking import create
from tests.test_staking_rpc import commit

OPERATOR, VOTER = funded_keys(2)
ALICE = account_from_mnemonic(DEV_MNEMONIC)
PARAMS = ChainParams()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    proc = init_node(tmp_path_factory.mktemp("distribution-rpc"), [OPERATOR, VOTER, ALICE], block_time_ms=100)
    add_keyring_key(proc, proc.home.parent)
    for served in serve(proc):
        commit(served, OPERATOR, 0, [create(0, "alpha")])
        commit(served, VOTER, 0, [Deposit(500 * OKT), Vote((OPERATOR.address,))])
        yield served


def test_rewards_commission_pool_and_params(node: NodeProcess) -> None:
    with grpc.insecure_channel(node.target) as channel:
        stub = dist_grpc.DistributionQueryStub(channel)
        voter = stub.Rewards(dist_pb2.RewardsRequest(address=to_checksum(VOTER.address)), timeout=5)
        assert [r.validator for r in voter.rewards] == [to_checksum(OPERATOR.address)]
        assert int(voter.total) == sum(int(r.amount) for r in voter.rewards) and voter.commission == "0"
        operator = stub.ValidatorRewards(
            dist_pb2.ValidatorRewardsRequest(operator=to_checksum(OPERATOR.address)), timeout=5
        )
        assert int(operator.outstanding) >= 0 and int(operator.commission) >= 0 and operator.height > 0
        assert int(stub.CommunityPool(dist_pb2.CommunityPoolRequest(), timeout=5).amount) >= 0
        params = stub.Params(dist_pb2.ParamsRequest(), timeout=5)
        assert (params.community_tax, params.signer_share) == (str(2 * 10**16), str(25 * 10**16))
        with pytest.raises(grpc.RpcError) as bad:
            stub.Rewards(dist_pb2.RewardsRequest(address="0x1234"), timeout=5)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_mint_params_and_the_next_blocks_provision(node: NodeProcess) -> None:
    with grpc.insecure_channel(node.target) as channel:
        stub = mint_grpc.MintQueryStub(channel)
        params = stub.Params(mint_pb2.ParamsRequest(), timeout=5)
        assert (params.initial_per_block, params.halving_years) == (str(OKT), 3)
        reward = stub.Reward(mint_pb2.RewardRequest(), timeout=5)
        assert reward.amount == str(OKT) and reward.height > 1
        listing = next(
            reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")])
            )
        )
    names = {s.name for s in listing.list_services_response.service}
    assert {"okchain.distribution.v1.DistributionQuery", "okchain.mint.v1.MintQuery"} <= names


def test_cli_withdraw_rewards_and_queries(node: NodeProcess) -> None:
    me = to_checksum(ALICE.address)
    assert cli_json(node, "tx", "staking", "deposit", "alice", "10okt")["result"]["code"] == 0
    assert (
        cli_json(node, "tx", "staking", "vote", "alice", to_checksum(OPERATOR.address))["result"]["code"] == 0
    )
    withdrawn = cli_json(node, "tx", "distribution", "withdraw-rewards", "alice")
    assert withdrawn["result"]["code"] == 0, withdrawn
    rewards = cli_json(node, "query", "distribution", "rewards", me)
    assert [r["validator"] for r in rewards["rewards"]] == [to_checksum(OPERATOR.address)]
    assert cli_json(node, "query", "distribution", "params")["community_tax"] == str(2 * 10**16)
    assert int(cli_json(node, "query", "distribution", "community-pool")["amount"]) >= 0
    assert cli_json(node, "query", "mint", "reward")["amount"] == str(OKT)
    assert cli_json(node, "query", "mint", "params")["blocks_per_year"] == str(PARAMS.mint_blocks_per_year)
