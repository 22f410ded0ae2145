"""Light-client verification: trust a header because validators the client already trusts signed it, while
the validator set changes under it (Tendermint's skipping verification, without a trusting period).

The client starts from a root it trusts without asking the node: the genesis set, which signs the initial
height. It holds one trusted state at a time, a verified height and the set that signs the height after it
(named by that header's ``next_validators_hash``). A header further on is accepted when its own set (whose
hash the header carries) signed it with more than 2/3 of that set's power and validators of the trusted set
holding more than 1/3 of the trusted power are among the signers: at least one honest validator the client
trusts vouches for it. When too little of the trusted set signed, the client verifies a header half way
first (bisection); the header right after a trusted one must name exactly the trusted next set.
"""

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

from okchain.crypto.ed25519 import validator_address
from okchain.errors import OKChainError
from okchain.types.block import Commit, Header
from okchain.types.commit_check import Powers, commit_problem
from okchain.types.validator import validators_hash


class LightError(OKChainError, ValueError):
    """A header, commit or validator set the light client cannot trust; the message says which and why."""


@dataclass(frozen=True, slots=True)
class LightBlock:
    """What a node serves for one height: the header, the commit that decided it, the set that signed it
    and the set of the next height (each set as (ed25519 key, power) pairs)."""

    header: Header
    commit: Commit
    validators: Powers
    next_validators: Powers


@dataclass(frozen=True, slots=True)
class Trusted:
    """A verified height (the initial height − 1 for the genesis root) and the set that signs the next."""

    height: int
    next_validators: Powers


def set_hash(powers: Powers) -> bytes:
    """The ``validators_hash`` a header carries for this set."""
    entries = sorted((validator_address(key), key, power) for key, power in powers)
    return validators_hash(entries)


def check_light_block(chain_id: str, height: int, block: LightBlock) -> None:
    """The block is internally sound: the height asked for, both sets the ones its header names, and a
    commit of more than 2/3 of its own set for its hash."""
    h = block.header
    if h.height != height:
        raise LightError(f"asked for the header of {height}, got {h.height}")
    if set_hash(block.validators) != h.validators_hash:
        raise LightError(f"the validator set served for {height} is not the one its header names")
    if set_hash(block.next_validators) != h.next_validators_hash:
        raise LightError(f"the next validator set served for {height} is not the one its header names")
    problem = commit_problem(chain_id, height, h.hash, block.commit, block.validators)
    if problem:
        raise LightError(f"header {height}: {problem}")


def _trusted_share(commit: Commit, trusted: Powers) -> tuple[int, int]:
    """(power of the trusted set among the commit's signers, the trusted set's total power). The signatures
    were checked against the header's own set; an address names one key."""
    signers = {s.validator_address for s in commit.signatures}
    signed = sum(power for key, power in trusted if validator_address(key) in signers)
    return signed, sum(power for _, power in trusted)


def verification(chain_id: str, root: Trusted, target: int) -> Generator[int, LightBlock, LightBlock]:
    """Verify the light block of ``target`` (above ``root``): yields each height whose light block it needs
    (as few as bisection allows), is sent that block, and returns the verified one of ``target``; raises
    ``LightError`` when the answers do not add up. Free of I/O, so blocking and async clients share it."""
    if target <= root.height:
        raise LightError(f"height {target} is not above the trusted height {root.height}")
    trusted = root
    pending: list[int] = [target]
    verified: LightBlock | None = None
    while pending:
        height = pending[-1]
        block = yield height
        check_light_block(chain_id, height, block)
        if height == trusted.height + 1:
            if set_hash(block.validators) != set_hash(trusted.next_validators):
                raise LightError(f"header {height} names a set other than the one trusted to sign it")
        else:
            signed, total = _trusted_share(block.commit, trusted.next_validators)
            if 3 * signed <= total:
                pending.append((trusted.height + height + 1) // 2)  # verify half way first
                continue
        trusted, verified = Trusted(height, tuple(block.next_validators)), block
        pending.pop()
    assert verified is not None
    return verified


def verify_to(chain_id: str, root: Trusted, target: int, fetch: Callable[[int], LightBlock]) -> LightBlock:
    """``verification`` driven by a blocking ``fetch`` of each height's light block."""
    steps = verification(chain_id, root, target)
    try:
        height = next(steps)
        while True:
            height = steps.send(fetch(height))
    except StopIteration as done:
        verified: LightBlock = done.value
        return verified


def genesis_root(initial_height: int, validators: Sequence[tuple[bytes, int]]) -> Trusted:
    """The trust root of a chain: its genesis set signs the initial height."""
    return Trusted(initial_height - 1, tuple(validators))
