"""Is a commit proof that a block was decided? The one check used by the application (a block's
``last_commit``), block sync (block H against block H+1's commit), snapshot import and light clients.

A commit decides ``block_hash`` at ``height`` when precommit signatures of distinct validators of the set,
over the canonical vote sign bytes, carry more than 2/3 of the set's power. Signatures from addresses
outside the set are ignored (they add no power); a bad signature from a member makes the whole commit
invalid, because a correct node never forwards one.
"""

from collections.abc import Callable, Sequence

from okchain.crypto import ed25519
from okchain.types.block import Commit
from okchain.types.vote import VoteType, vote_sign_bytes

Verifier = Callable[[bytes, bytes, bytes], bool]
"""(public key, message, signature) -> valid?"""


def commit_problem(
    chain_id: str,
    height: int,
    block_hash: bytes,
    commit: Commit,
    validators: Sequence[tuple[bytes, int]],
    verify: Verifier = ed25519.verify,
) -> str:
    """'' if ``commit`` decides ``block_hash`` at ``height`` for ``validators`` ((pub key, power) pairs),
    else the reason it does not."""
    if commit.height != height:
        return f"commit is for height {commit.height}, expected {height}"
    if commit.block_hash != block_hash:
        return f"commit names block {commit.block_hash.hex()[:16]}, expected {block_hash.hex()[:16]}"
    by_address = {ed25519.validator_address(pub): (pub, power) for pub, power in validators}
    total = sum(power for _, power in validators)
    signed = 0
    seen: set[bytes] = set()
    for sig in commit.signatures:
        member = by_address.get(sig.validator_address)
        if member is None or sig.validator_address in seen:
            continue
        pub, power = member
        message = vote_sign_bytes(chain_id, height, commit.round, VoteType.PRECOMMIT, block_hash, sig.time_ns)
        if not verify(pub, message, sig.signature):
            return f"commit signature of validator {sig.validator_address.hex()} does not verify"
        seen.add(sig.validator_address)
        signed += power
    if 3 * signed <= 2 * total:
        return f"commit of height {height} is signed by {signed} of {total} power; needs more than 2/3"
    return ""
