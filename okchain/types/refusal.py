"""Why a block, a commit or a proposal is not accepted: a stable code for programs, tests and metrics, and a
precise reason for the operator's log. Checks return ``None`` when all is well, so a refusal can never be
mistaken for success by a truthiness test on an empty string."""

from dataclasses import dataclass
from enum import StrEnum


class RefusalCode(StrEnum):
    # the commit (``okchain.types.commit_check``)
    COMMIT_HEIGHT = "commit-height"
    COMMIT_BLOCK = "commit-block"
    COMMIT_ORDER = "commit-order"  # entries out of validator-address order, or one validator listed twice
    COMMIT_NON_MEMBER = "commit-non-member"
    COMMIT_SIGNATURE = "commit-signature"
    COMMIT_POWER = "commit-power"
    # the header and body (``Application.process_proposal``, block sync, the consensus machine)
    BLOCK_ENCODING = "block-encoding"  # a header or commit value its protobuf field cannot carry
    CHAIN_ID = "chain-id"
    HEIGHT = "height"
    LAST_BLOCK_HASH = "last-block-hash"
    APP_HASH = "app-hash"
    LAST_RESULTS_HASH = "last-results-hash"
    VALIDATORS_HASH = "validators-hash"
    PROPOSER = "proposer"
    LAST_COMMIT_HASH = "last-commit-hash"
    LAST_COMMIT_MISSING = "last-commit-missing"
    LAST_COMMIT_UNEXPECTED = "last-commit-unexpected"
    TXS_HASH = "txs-hash"
    BLOCK_TIME = "block-time"
    BLOCK_SIZE = "block-size"
    BLOCK_GAS = "block-gas"
    DUPLICATE_TX = "duplicate-tx"
    BLOCK_MISSING = "block-missing"  # a proposal's block never arrived (withheld)
    TX_MALFORMED = "tx-malformed"  # not a well-formed, signed tx of this chain
    # the block's evidence (``okchain.app.evidence``)
    EVIDENCE_HASH = "evidence-hash"
    EVIDENCE_INVALID = "evidence-invalid"  # undecodable, badly signed, or not of that height's set
    EVIDENCE_TOO_OLD = "evidence-too-old"
    EVIDENCE_COUNT = "evidence-count"
    EVIDENCE_DUPLICATE = "evidence-duplicate"  # the same offender twice, or one already tombstoned
    EVIDENCE_UNVERIFIABLE = "evidence-unverifiable"  # this node no longer keeps that height's set


@dataclass(frozen=True, slots=True)
class Refusal:
    code: RefusalCode
    reason: str

    def __str__(self) -> str:
        return self.reason

    def within(self, context: str) -> "Refusal":
        """The same refusal, its reason prefixed with where it was found (``last commit: …``)."""
        return Refusal(self.code, f"{context}: {self.reason}")
