"""What happens at and beyond the fault bound: byzantine power >= 1/3 of the total.

Tendermint is safe and live only while the faulty voting power f satisfies 3f < total. Two scenarios show
the loss the theory predicts once that bound is crossed; the simulator must observe it (if it did not, it
would be checking nothing):

- ``halt``: validators holding exactly 1/3 of the power stay silent. The rest hold 2/3, not more than
  2/3, so no block ever gets a quorum: liveness is lost (and safety kept).
- ``fork``: two of four equal validators (1/2 of the power) are byzantine and the two honest ones cannot
  reach each other. Whenever a byzantine validator is the round's proposer, the adversary shows each
  honest node its own valid block, with prevotes and precommits from both byzantine validators (in the
  other rounds they vote nil, so that the rounds end). Each
  honest node sees 3 of 4 votes (the quorum) for its block and commits it: the two commit different blocks
  at the same height, an agreement violation.
"""

from collections import deque

from okchain.consensus.events import Action, Event, ScheduleTimeout
from okchain.consensus.messages import Proposal, Step, Vote
from okchain.sim.model import CHAIN_ID, SECOND, Byzantine, Message, Node, SimConfig, SimResult
from okchain.sim.simulator import Simulator
from okchain.types.vote import VoteType


class _Adversary(Simulator):
    """A simulator in which the byzantine validators never run a machine: the adversary speaks for them."""

    def __init__(self, config: SimConfig, byzantine: int) -> None:
        super().__init__(config)
        self.controlled = self.rng.sample(self.nodes, byzantine)
        for node in self.controlled:
            node.byzantine = Byzantine(equivocate_votes=False, double_propose=False, invalid_blocks=False)
            node.up = False

    def _start_node(self, node: Node) -> None:
        if node not in self.controlled:
            super()._start_node(node)


class HaltAttack(_Adversary):
    def __init__(self, seed: int) -> None:
        config = SimConfig(
            seed=seed, validators=3, heights=1, powers=(1, 1, 1), gst_ns=0, liveness_ns=60 * SECOND
        )
        super().__init__(config, byzantine=1)


class ForkAttack(_Adversary):
    def __init__(self, seed: int) -> None:
        config = SimConfig(
            seed=seed, validators=4, heights=1, powers=(1, 1, 1, 1), gst_ns=600 * SECOND, liveness_ns=0
        )
        super().__init__(config, byzantine=2)
        self._shown: set[tuple[int, int, int]] = set()

    def _send(self, src: int, dst: int, message: Message) -> None:
        """The honest validators cannot reach each other; the adversary reaches both."""
        if self.nodes[src].byzantine is not None or self.nodes[dst].byzantine is not None:
            super()._send(src, dst, message)

    def _carry_out(self, node: Node, action: Action, local: deque[Event]) -> None:
        super()._carry_out(node, action, local)
        if isinstance(action, ScheduleTimeout) and action.info.step == Step.PROPOSE:
            self._show_own_block(node, action.info.height, action.info.round)

    def _show_own_block(self, node: Node, height: int, round_: int) -> None:
        assert node.machine is not None
        if (height, round_, node.index) in self._shown:
            return
        self._shown.add((height, round_, node.index))
        proposer = self.by_address[node.machine.proposer(round_)]
        sender = proposer if proposer in self.controlled else self.controlled[0]
        target = b""
        if proposer in self.controlled:
            block = node.state.build(proposer.address, salt=node.index + 1)
            target = block.hash
            proposal = Proposal(height, round_, -1, block.hash, self.now, proposer.address, b"")
            self._send(
                sender.index, node.index, proposal.signed(proposer.key.sign(proposal.sign_bytes(CHAIN_ID)))
            )
            self._send(sender.index, node.index, block)
        for vote_type in (VoteType.PREVOTE, VoteType.PRECOMMIT):
            for byz in self.controlled:
                vote = Vote(vote_type, height, round_, target, self.now, byz.address, b"")
                self._send(sender.index, node.index, vote.signed(byz.key.sign(vote.sign_bytes(CHAIN_ID))))


def run_attack(name: str, seed: int) -> SimResult:
    sim: Simulator = HaltAttack(seed) if name == "halt" else ForkAttack(seed)
    return sim.run()
