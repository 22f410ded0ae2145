"""StakingQuery over gRPC against a real node process: what a wallet or explorer reads after an account
becomes a validator, another deposits and votes for it, and withdraws part of its deposit; and the same
steps with ``okchaind tx staking`` / ``query staking`` from a keyring key."""

from collections.abc import Iterator

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from okchain._pb.node.v1 import query_pb2 as node_pb2
from okchain._pb.node.v1 import query_pb2_grpc as node_grpc
from okchain._pb.slashing.v1 import query_pb2 as slashing_pb2
from okchain._pb.slashing.v1 import query_pb2_grpc as slashing_grpc
from okchain._pb.staking.v1 import query_pb2, query_pb2_grpc
from okchain.crypto.address import to_checksum
from okchain.crypto.hd import account_from_mnemonic
from okchain.crypto.secp import AccountKey
from okchain.modules.staking.messages import Deposit, Vote, Withdraw
from okchain.node.home import Home
from okchain.tx.envelope import build_tx
from okchain.tx.registry import Msg
from okchain.types.params import ChainParams
from tests.helpers.chain import CHAIN_ID, DEV_MNEMONIC, OKT, funded_keys
from tests.helpers.processes import NodeProcess, add_keyring_key, cli_json, init_node, okchaind, serve
from tests.helpers.staking import consensus_key, create

OPERATOR, VOTER, OTHER = funded_keys(3)
ALICE = account_from_mnemonic(DEV_MNEMONIC)
GAS = 400_000
PARAMS = ChainParams()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    proc = init_node(
        tmp_path_factory.mktemp("staking-rpc"), [OPERATOR, VOTER, OTHER, ALICE], block_time_ms=100
    )
    add_keyring_key(proc, proc.home.parent)
    yield from serve(proc)


def commit(node: NodeProcess, key: AccountKey, nonce: int, msgs: list[Msg]) -> None:
    raw = build_tx(key, chain_id=CHAIN_ID, nonce=nonce, msgs=msgs, gas_limit=GAS, fee=GAS * 10**9)
    with grpc.insecure_channel(node.target) as channel:
        request = node_pb2.BroadcastTxRequest(tx=raw, mode=node_pb2.BROADCAST_MODE_COMMIT, timeout_ms=20_000)
        resp = node_grpc.TxServiceStub(channel).BroadcastTx(request, timeout=30)
    assert resp.committed and resp.result.code == 0, resp


@pytest.fixture(scope="module")
def staking(node: NodeProcess) -> Iterator[query_pb2_grpc.StakingQueryStub]:
    commit(node, OPERATOR, 0, [create(0, "alpha")])
    commit(node, VOTER, 0, [Deposit(500 * OKT), Vote((OPERATOR.address,))])
    commit(node, VOTER, 1, [Withdraw(100 * OKT)])
    with grpc.insecure_channel(node.target) as channel:
        yield query_pb2_grpc.StakingQueryStub(channel)


def test_validators_list_and_one_validator(staking: query_pb2_grpc.StakingQueryStub) -> None:
    page = staking.Validators(query_pb2.ValidatorsRequest(), timeout=5)
    assert [v.operator for v in page.validators] == [to_checksum(OPERATOR.address)]
    assert page.next_page_token == "" and page.height > 0
    alpha = page.validators[0]
    assert alpha.moniker == "alpha" and alpha.consensus_pubkey == consensus_key(0)
    assert int(alpha.self_deposit) == PARAMS.staking_min_self_deposit
    assert alpha.voters == 1 and int(alpha.shares) > int(alpha.vote_shares)  # self-deposit shares too
    assert int(alpha.vote_shares) > 0 and not alpha.destroyed
    one = staking.Validator(query_pb2.ValidatorRequest(operator=to_checksum(OPERATOR.address)), timeout=5)
    assert one.validator == alpha


def test_voter_shows_deposit_votes_and_unbonding(staking: query_pb2_grpc.StakingQueryStub) -> None:
    voter = staking.Voter(query_pb2.VoterRequest(address=to_checksum(VOTER.address)), timeout=5)
    assert int(voter.deposit) == 400 * OKT
    assert list(voter.validators) == [to_checksum(OPERATOR.address)]
    assert [int(u.amount) for u in voter.unbondings] == [100 * OKT]
    assert voter.unbondings[0].completion_ns > 0 and not voter.is_proxy and voter.proxy == ""
    validator = staking.Validator(
        query_pb2.ValidatorRequest(operator=to_checksum(OPERATOR.address)), timeout=5
    )
    assert int(validator.validator.vote_shares) == int(voter.shares)
    nobody = staking.Voter(query_pb2.VoterRequest(address=to_checksum(OTHER.address)), timeout=5)
    assert (nobody.deposit, list(nobody.validators), list(nobody.unbondings)) == ("0", [], [])


def test_refusals_are_precise(staking: query_pb2_grpc.StakingQueryStub) -> None:
    with pytest.raises(grpc.RpcError) as missing:
        staking.Validator(query_pb2.ValidatorRequest(operator=to_checksum(OTHER.address)), timeout=5)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert f"no validator operated by {to_checksum(OTHER.address)}" in (missing.value.details() or "")
    with pytest.raises(grpc.RpcError) as bad:
        staking.Voter(query_pb2.VoterRequest(address="0x1234"), timeout=5)
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as token:
        staking.Validators(query_pb2.ValidatorsRequest(page_token=to_checksum(OTHER.address)), timeout=5)
    assert token.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "names no validator" in (
        token.value.details() or ""
    )


def test_reflection_offers_the_staking_service(node: NodeProcess) -> None:
    with grpc.insecure_channel(node.target) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        answer = next(
            stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        )
    assert "okchain.staking.v1.StakingQuery" in {s.name for s in answer.list_services_response.service}


def test_cli_create_validator_deposit_vote_and_query(
    node: NodeProcess, staking: query_pb2_grpc.StakingQueryStub
) -> None:
    """A keyring key becomes a validator with the home's validator key as its consensus key, deposits and
    votes for itself; the query commands show it beside the first validator."""
    me = to_checksum(ALICE.address)
    created = cli_json(
        node, "tx", "staking", "create-validator", "alice", "--moniker", "beta", "--website", "https://b.example",
        "--commission-rate", "0.1", "--max-rate", "0.5", "--max-change-rate", "0.05",
    )  # fmt: skip
    assert created["result"]["code"] == 0, created
    assert cli_json(node, "tx", "staking", "deposit", "alice", "250okt")["result"]["code"] == 0
    assert cli_json(node, "tx", "staking", "vote", "alice", me)["result"]["code"] == 0
    mine = cli_json(node, "query", "staking", "validator", me)
    assert (mine["moniker"], mine["website"], mine["commission_rate"]) == (
        "beta",
        "https://b.example",
        str(10**17),
    )
    assert mine["consensus_pubkey"] == node_validator_key(node).hex() and mine["voters"] == "1"
    listed = cli_json(node, "query", "staking", "validators")["validators"]
    assert sorted(v["operator"] for v in listed) == sorted([me, to_checksum(OPERATOR.address)])
    assert [int(v["shares"]) for v in listed] == sorted((int(v["shares"]) for v in listed), reverse=True)
    voter = cli_json(node, "query", "staking", "voter", me)
    assert voter["deposit"] == str(250 * OKT) and voter["validators"] == [me]
    refused = okchaind(
        "tx", "staking", "deposit", "alice", "1xyz-abc", "--home", str(node.home), "--node", node.target,
        check=False,
    )  # fmt: skip
    assert refused.returncode == 1 and "staking takes OKT, not xyz-abc" in refused.stderr


def node_validator_key(node: NodeProcess) -> bytes:
    return Home(node.home).read_validator_key().public_key


def test_validator_set_at_a_height_matches_the_headers(node: NodeProcess) -> None:
    with grpc.insecure_channel(node.target) as channel:
        stub = query_pb2_grpc.StakingQueryStub(channel)
        latest = node_grpc.NodeServiceStub(channel).LatestBlock(node_pb2.LatestBlockRequest(), timeout=5)
        header = latest.block.header
        at = stub.ValidatorSet(query_pb2.ValidatorSetRequest(height=header.height), timeout=5)
        assert at.height == header.height and at.validators_hash == header.validators_hash
        assert [v.address for v in at.validators] == [at.proposer_address]  # the one genesis validator
        assert at.total_power == sum(v.power for v in at.validators) > 0
        assert at.next_page_token == "" and len(at.validators[0].pub_key) == 32
        upcoming = stub.ValidatorSet(query_pb2.ValidatorSetRequest(), timeout=5)
        assert upcoming.height > header.height and upcoming.validators_hash == header.next_validators_hash
        with pytest.raises(grpc.RpcError) as far:
            stub.ValidatorSet(query_pb2.ValidatorSetRequest(height=header.height + 10**6), timeout=5)
        assert far.value.code() == grpc.StatusCode.OUT_OF_RANGE
        assert "no validator set is known for height" in (far.value.details() or "")
        with pytest.raises(grpc.RpcError) as bad:
            stub.ValidatorSet(query_pb2.ValidatorSetRequest(page_token="x"), timeout=5)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_slashing_signing_info_and_params(
    node: NodeProcess, staking: query_pb2_grpc.StakingQueryStub
) -> None:
    pubkey = Home(node.home).read_validator_key().public_key
    with grpc.insecure_channel(node.target) as channel:
        slashing = slashing_grpc.SlashingQueryStub(channel)
        info = slashing.SigningInfo(slashing_pb2.SigningInfoRequest(consensus_pubkey=pubkey), timeout=5).info
        assert info.consensus_pubkey == pubkey and info.operator == to_checksum(
            ALICE.address
        )  # genesis supernode
        assert info.window_index > 0 and info.missed_blocks == 0 and not info.jailed and not info.tombstoned
        with pytest.raises(grpc.RpcError) as unseen:  # alpha is not in the set yet: it never signed
            slashing.SigningInfo(
                slashing_pb2.SigningInfoRequest(operator=to_checksum(OPERATOR.address)), timeout=5
            )
        assert unseen.value.code() == grpc.StatusCode.NOT_FOUND
        assert "has not signed a block" in (unseen.value.details() or "")
        with pytest.raises(grpc.RpcError) as bad:
            slashing.SigningInfo(slashing_pb2.SigningInfoRequest(consensus_pubkey=b"\x01"), timeout=5)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        params = slashing.Params(slashing_pb2.ParamsRequest(), timeout=5)
    assert (params.window_blocks, params.max_missed_blocks) == (10_000, 9_500)
    assert params.double_sign_rate == str(PARAMS.slashing_double_sign_rate)


def test_validators_by_status_params_and_pool(
    node: NodeProcess, staking: query_pb2_grpc.StakingQueryStub
) -> None:
    alpha = to_checksum(OPERATOR.address)
    listed = staking.Validators(query_pb2.ValidatorsRequest(), timeout=5).validators
    statuses = {v.operator: v.status for v in listed}
    # before the first epoch only the genesis key is in the active set (alice claims it in the CLI test)
    assert statuses[alpha] == "candidate" and set(statuses.values()) <= {"active", "candidate"}
    for status in ("candidate", "active"):
        only = staking.Validators(query_pb2.ValidatorsRequest(status=status), timeout=5).validators
        assert {v.operator for v in only} == {op for op, s in statuses.items() if s == status}
    with pytest.raises(grpc.RpcError) as bad:
        staking.Validators(query_pb2.ValidatorsRequest(status="sleepy"), timeout=5)
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not one of active" in (bad.value.details() or "")
    params = staking.Params(query_pb2.ParamsRequest(), timeout=5)
    assert params.min_self_deposit == str(PARAMS.staking_min_self_deposit) and params.epoch_blocks == 252
    pool = staking.Pool(query_pb2.PoolRequest(), timeout=5)
    deposits = sum(
        int(staking.Voter(query_pb2.VoterRequest(address=to_checksum(k.address)), timeout=5).deposit)
        for k in (OPERATOR, VOTER, OTHER, ALICE)
    )
    assert deposits >= 400 * OKT  # the voter's 500 less its 100 withdrawn, and any the CLI test added
    assert int(pool.bonded) == sum(int(v.self_deposit) for v in listed) + deposits
    assert int(pool.unbonding) == 100 * OKT
    with grpc.insecure_channel(node.target) as channel:
        request = node_pb2.SupplyRequest(height=pool.height)
        supply = node_grpc.QueryServiceStub(channel).Supply(request, timeout=5).supply
    assert int(pool.not_bonded) == int(supply.amount) - int(pool.bonded)
