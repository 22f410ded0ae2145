"""Is a commit proof that a block was decided, and what time does it give the next block? The one rule used
by the application (a block's ``last_commit``), block sync (block H against block H+1's commit), snapshot
import and light clients (``okchaind query proof``).

A commit is exact: its entries name validators of the set in strictly ascending address order (so each at
most once, and nothing else), every entry carries a valid precommit signature over the canonical vote sign
bytes, and together they hold more than 2/3 of the set's power. Nothing in a commit is skipped unchecked: an
entry that counts for power or for block time has always been verified.

Block time follows BFT time: the time of block H+1 is the power-weighted median of the precommit times in
block H's commit. The commit holds more than 2/3 of the power and faulty validators less than 1/3, so the
faulty ones hold less than half of the commit's power and the median is an honest validator's clock.
"""

from collections.abc import Callable, Sequence

from okchain.crypto import ed25519
from okchain.types.block import Commit
from okchain.types.refusal import Refusal, RefusalCode
from okchain.types.vote import VoteType, vote_sign_bytes

Verifier = Callable[[bytes, bytes, bytes], bool]
"""(public key, message, signature) -> valid?"""

Powers = Sequence[tuple[bytes, int]]
"""A validator set as (ed25519 public key, voting power) pairs."""


def commit_problem(
    chain_id: str,
    height: int,
    block_hash: bytes,
    commit: Commit,
    validators: Powers,
    verify: Verifier = ed25519.verify,
) -> Refusal | None:
    """``None`` if ``commit`` is an exact commit deciding ``block_hash`` at ``height`` for ``validators``,
    else the first rule it breaks."""
    if commit.height != height:
        return Refusal(RefusalCode.COMMIT_HEIGHT, f"commit is for height {commit.height}, expected {height}")
    if commit.block_hash != block_hash:
        return Refusal(
            RefusalCode.COMMIT_BLOCK,
            f"commit names block {commit.block_hash.hex()[:16]}, expected {block_hash.hex()[:16]}",
        )
    by_address = {ed25519.validator_address(pub): (pub, power) for pub, power in validators}
    total = sum(power for _, power in validators)
    signed = 0
    previous = b""
    for index, sig in enumerate(commit.signatures):
        address = sig.validator_address
        if address <= previous:
            return Refusal(
                RefusalCode.COMMIT_ORDER,
                f"commit entry {index} ({address.hex()}) repeats a validator or is out of address order",
            )
        previous = address
        member = by_address.get(address)
        if member is None:
            return Refusal(
                RefusalCode.COMMIT_NON_MEMBER,
                f"commit entry {index} names {address.hex()}, which is not a validator at height {height}",
            )
        pub, power = member
        message = vote_sign_bytes(chain_id, height, commit.round, VoteType.PRECOMMIT, block_hash, sig.time_ns)
        if not verify(pub, message, sig.signature):
            return Refusal(
                RefusalCode.COMMIT_SIGNATURE, f"commit signature of validator {address.hex()} does not verify"
            )
        signed += power
    if 3 * signed <= 2 * total:
        return Refusal(
            RefusalCode.COMMIT_POWER,
            f"commit of height {height} is signed by {signed} of {total} power; needs more than 2/3",
        )
    return None


def bft_time(commit: Commit, validators: Powers) -> int:
    """The power-weighted median of ``commit``'s precommit times: the time of the block that carries it.
    Only meaningful for a commit ``commit_problem`` accepted (every entry is then a member, once)."""
    power_of = {ed25519.validator_address(pub): power for pub, power in validators}
    timed = sorted((sig.time_ns, power_of.get(sig.validator_address, 0)) for sig in commit.signatures)
    total = sum(power for _, power in timed)
    running = 0
    for time_ns, power in timed:
        running += power
        if 2 * running > total:
            return time_ns
    raise ValueError("a commit without a validator's signature has no time")
