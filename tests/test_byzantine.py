"""One byzantine validator (a quarter of the power) in a four-validator localnet of real processes.

Each time it proposes it carries out the next attack (``tests/helpers/byzantine_node.py``). The honest
nodes must refuse every invalid block with a log line naming the rule it breaks, or ignore what never
arrives; the chain must keep committing, every node (the byzantine one too) must hold the same blocks and
app hashes, and no honest node may be banned by another.
"""

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from okchain._pb.node.v1 import query_pb2
from okchain.crypto.hashing import sha256
from okchain.node.home import Home
from okchain.types.refusal import RefusalCode
from okchain.types.results import Code
from tests.helpers.byzantine_node import unfunded_tx
from tests.helpers.localnet import FAST_TIMEOUTS, Localnet, LocalnetProcess, create_localnet

BYZANTINE_NODE = Path(__file__).parent / "helpers" / "byzantine_node.py"
CHAIN_ID = "okchain-localnet-1"  # create_localnet's default
MAX_BLOCK_BYTES = 1024 * 1024

# attack -> the refusal code every honest node logs for its block; None: the block is valid and commits
EXPECTED: dict[str, RefusalCode | None] = {
    "padded-commit": RefusalCode.COMMIT_ORDER,
    "duplicate-signature": RefusalCode.COMMIT_ORDER,
    "non-member-signature": RefusalCode.COMMIT_NON_MEMBER,
    "time-ahead": RefusalCode.BLOCK_TIME,
    "time-behind": RefusalCode.BLOCK_TIME,
    "oversized": RefusalCode.BLOCK_SIZE,
    "garbage-tx": RefusalCode.TX_MALFORMED,
    "failing-tx": None,
    "wrong-app-hash": RefusalCode.APP_HASH,
    "wrong-validators-hash": RefusalCode.VALIDATORS_HASH,
    "wrong-height": RefusalCode.BLOCK_MISSING,  # sent for a later height: never the proposal's block
    "wrong-chain-id": RefusalCode.CHAIN_ID,
    "withhold": RefusalCode.BLOCK_MISSING,
    "equivocate": None,  # two valid blocks to two halves: that round may fail, no fork
}
ATTACK_LINE = re.compile(r"byzantine attack (\S+) at (\d+)/(\d+)")
REFUSAL_LINE = re.compile(r"refused block (\d+)/(\d+) [0-9a-f]+ of proposer ([0-9a-f]+): \[([a-z-]+)\] (.+)")


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Localnet]:
    directory = tmp_path_factory.mktemp("byzantine") / "net"
    for spec in create_localnet(directory, 4, block_time_ms=250, **FAST_TIMEOUTS):
        genesis = Home(directory / spec.home).genesis_file  # 1 MiB blocks: an oversized one arrives in time
        doc = json.loads(genesis.read_text())
        doc["params"]["max_block_bytes"] = str(MAX_BLOCK_BYTES)
        genesis.write_text(json.dumps(doc, indent=2))
    localnet = Localnet(directory)
    localnet.nodes[0].process.program = (str(BYZANTINE_NODE), ",".join(EXPECTED))
    try:
        localnet.start(localnet.nodes)
        yield localnet
    finally:
        localnet.close()


def log_text(node: LocalnetProcess) -> str:
    return node.process.log.read_text() if node.process.log.exists() else ""


def attacks(byzantine: LocalnetProcess) -> dict[str, tuple[int, int]]:
    return {m[1]: (int(m[2]), int(m[3])) for m in ATTACK_LINE.finditer(log_text(byzantine))}


def test_honest_nodes_refuse_every_attack_and_the_chain_goes_on(net: Localnet) -> None:
    byzantine, honest = net.nodes[0], net.nodes[1:]
    net.wait_for("every attack", lambda: len(attacks(byzantine)) == len(EXPECTED), 240, [byzantine])
    done = attacks(byzantine)
    top = max(h for h, _ in done.values())
    net.wait_height(top + 3, net.nodes, timeout=60)  # the chain commits past the last attack
    address = byzantine.spec.validator_address.lower().removeprefix("0x")
    for node in honest:
        refusals = {(int(m[1]), int(m[2])): (m[3], m[4], m[5]) for m in REFUSAL_LINE.finditer(log_text(node))}
        for attack, code in EXPECTED.items():
            if code is None:
                continue
            got = refusals.get(done[attack])
            assert got is not None, f"{node.name} logged no refusal of {attack} at {done[attack]}"
            assert got[:2] == (address, code.value), f"{node.name}, {attack}: {got}"
        bans = [line for line in log_text(node).splitlines() if "banned peer" in line]
        assert not [line for line in bans for other in honest if other.spec.node_id in line], bans
    net.assert_same_chain(net.nodes, range(1, top + 3))


def test_a_valid_block_with_a_failing_tx_commits_the_same_everywhere(net: Localnet) -> None:
    """The byzantine proposer's block carrying a tx that fails (its signer has no OKT for the fee) is valid:
    it commits, and every node records the chain's own verdict on the tx."""
    byzantine = net.nodes[0]
    height, _ = attacks(byzantine)["failing-tx"]
    failing = sha256(unfunded_tx(CHAIN_ID, height))
    for node in net.nodes:
        got = node.tx.GetTx(query_pb2.GetTxRequest(hash=failing), timeout=10)
        assert (got.height, got.result.code) == (height, Code.INSUFFICIENT_FEE_FUNDS), f"{node.name}: {got}"


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
