"""The faults a seed draws: which validators are byzantine, how links misbehave, when honest nodes crash
or stall (all before GST), and what a byzantine validator signs and sends."""

import random
from dataclasses import replace

from okchain.consensus.messages import Proposal, Vote
from okchain.consensus.proposer import ValidatorSet
from okchain.sim.model import CHAIN_ID, MS, SECOND, Byzantine, Equivocation, Node, SimConfig
from okchain.sim.network import CRASH, RESTART, STALL, Network


def plan_faults(
    config: SimConfig,
    rng: random.Random,
    nodes: list[Node],
    validators: ValidatorSet,
    net: Network,
    stats: dict[str, int],
) -> None:
    """Draw the run's faults from ``rng`` and set them on ``nodes`` and ``net`` (crashes and stalls are
    queued as events)."""
    faults, gst = config.faults, config.gst_ns
    n = len(nodes)
    if "byzantine" in faults:
        _choose_byzantine(rng, nodes, validators)
    honest = [x.index for x in nodes if x.byzantine is None]
    if "drop" in faults:
        net.drop_per_mille = rng.randint(50, 300)
    if "dup" in faults:
        net.dup_per_mille = rng.randint(50, 300)
    if "delay" in faults:
        net.max_fault_delay_ns = rng.randint(200, 2000) * MS
    if "reorder" in faults:
        net.jitter_ns = rng.randint(50, 500) * MS
    if "partition" in faults and n > 1:
        for _ in range(rng.randint(1, 2)):
            start = rng.randrange(0, gst - SECOND)
            end = min(gst, start + rng.randint(500, 3000) * MS)
            side = frozenset(rng.sample(range(n), rng.randint(1, n - 1)))
            net.partitions.append((start, end, side))
            stats["partitions"] += 1
    if "crash" in faults:
        # Half the crashes hit the window between the synced END_HEIGHT marker and the block's commit (a
        # stream of its own, so the planned crash times and every other draw stay as they were).
        at_commit = random.Random(f"commit-crash/{config.seed}")
        for index in rng.sample(honest, min(len(honest), rng.randint(1, 2))):
            at = rng.randrange(0, gst - SECOND)
            net.push(at, CRASH, index, at_commit.random() < 0.5)
            net.push(min(gst, at + rng.randint(100, 3000) * MS), RESTART, index, None)
    if "stall" in faults:
        for index in rng.sample(honest, min(len(honest), rng.randint(1, 2))):
            at = rng.randrange(0, gst - SECOND)
            net.push(at, STALL, index, min(gst, at + rng.randint(200, 3000) * MS))


def _choose_byzantine(rng: random.Random, nodes: list[Node], validators: ValidatorSet) -> None:
    """Mark validators byzantine, in a random order, while they hold under 1/3 of the power and leave an
    honest node; each misbehaves in at least one way."""
    powers = {v.address: v.power for v in validators.validators}
    total = validators.total_power
    byz_power = 0
    for node in rng.sample(nodes, len(nodes)):
        power = powers[node.address]
        if 3 * (byz_power + power) < total and len(nodes) - 1 > sum(x.byzantine is not None for x in nodes):
            flags = [rng.random() < 0.6 for _ in range(3)]
            if not any(flags):
                flags[rng.randrange(3)] = True
            node.byzantine = Byzantine(*flags)
            byz_power += power
            if rng.random() < 0.5:
                break


def byzantine_vote(
    node: Node, byz: Byzantine, vote: Vote, rng: random.Random, now: int
) -> tuple[Vote, Equivocation | None]:
    """Sign ``vote`` outside the safe signer; an equivocator also signs a conflicting twin for half the
    network (kept in ``node.splits``) and returns the pair."""
    signed = vote.signed(node.key.sign(vote.sign_bytes(CHAIN_ID)))
    if not (byz.equivocate_votes and rng.random() < 0.7):
        return signed, None
    other = b"" if vote.block_hash else rng.randbytes(32)
    twin = replace(vote, block_hash=other)
    twin = twin.signed(node.key.sign(twin.sign_bytes(CHAIN_ID)))
    node.splits[signed.signature] = (twin,)
    key = (node.address, vote.height, vote.round, vote.vote_type)
    return signed, Equivocation(now, key, (signed.signature, twin.signature))


def byzantine_proposal(
    node: Node, byz: Byzantine, proposal: Proposal, rng: random.Random, now: int
) -> Proposal:
    """Sign ``proposal``; a double proposer also signs a twin for another block (valid or not) for half the
    network."""
    signed = proposal.signed(node.key.sign(proposal.sign_bytes(CHAIN_ID)))
    if byz.double_propose and rng.random() < 0.7:
        block = node.state.build(node.address, valid=rng.random() < 0.5, salt=1)
        twin = replace(proposal, block_hash=block.hash, pol_round=-1)
        twin = twin.signed(node.key.sign(twin.sign_bytes(CHAIN_ID)))
        node.splits[signed.signature] = (twin, block)
    return signed


def halves(nodes: list[Node], peers: list[int], rng: random.Random) -> list[int]:
    """A random half of the peers, keeping honest peers on both sides when there are two or more."""
    honest = [p for p in peers if nodes[p].byzantine is None]
    rng.shuffle(honest)
    cut = max(1, len(honest) // 2) if len(honest) > 1 else len(honest)
    return honest[:cut] + [p for p in peers if nodes[p].byzantine is not None and rng.random() < 0.5]
