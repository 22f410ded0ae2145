"""Consensus timing: per-step timeouts that grow with the round, and the pause between heights.

Defaults are CometBFT's (``config/config.go``): propose 3 s, prevote and precommit 1 s, each +0.5 s per
round, and a 1 s commit delay (the block time). Growing timeouts are what make the algorithm live after
the network becomes synchronous: some round's timeouts eventually exceed the real message delay.
"""

from dataclasses import dataclass

from okchain.consensus.messages import ConsensusError, Step

SECOND_NS = 1_000_000_000


class ConsensusConfigError(ConsensusError, ValueError):
    """A negative or otherwise unusable timing parameter."""


@dataclass(frozen=True, slots=True)
class ConsensusConfig:
    propose_ns: int = 3 * SECOND_NS
    propose_delta_ns: int = SECOND_NS // 2
    prevote_ns: int = SECOND_NS
    prevote_delta_ns: int = SECOND_NS // 2
    precommit_ns: int = SECOND_NS
    precommit_delta_ns: int = SECOND_NS // 2
    commit_delay_ns: int = SECOND_NS

    def __post_init__(self) -> None:
        for name in self.__slots__:
            if getattr(self, name) < 0:
                raise ConsensusConfigError(f"{name} must not be negative, got {getattr(self, name)}")

    def timeout_ns(self, step: Step, round_: int) -> int:
        """How long to wait in ``step`` of round ``round_`` (base + round × delta)."""
        if step == Step.PROPOSE:
            return self.propose_ns + round_ * self.propose_delta_ns
        if step == Step.PREVOTE:
            return self.prevote_ns + round_ * self.prevote_delta_ns
        return self.precommit_ns + round_ * self.precommit_delta_ns
