"""Genesis supernodes: the first active set, and the staking records of the validators that stake.

A genesis validator with an operator address is a real staking validator from block one: it is created as a
``CreateValidator`` of its operator at the genesis time would create it (the minimum self-deposit locked from
the operator's migrated OKT, commission 10 %, max 20 %, max change 1 %), and its genesis power must be the
power its self-deposit's shares give, so the genesis file states the set it really starts with. One
without an operator signs with its stated power until the first re-ranking that finds a staking candidate.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from okchain.crypto.address import Address, to_checksum
from okchain.modules.context import ModuleError, MsgContext
from okchain.modules.staking import active, handler
from okchain.modules.staking.keeper import Store
from okchain.modules.staking.messages import CreateValidator, Description
from okchain.modules.staking.weight import shares, weight
from okchain.types.params import RATE_ONE, ChainParams

GENESIS_COMMISSION = (RATE_ONE // 10, RATE_ONE // 5, RATE_ONE // 100)  # rate, max rate, max change


class GenesisStakingError(ModuleError):
    """A genesis validator the staking rules cannot create as stated."""


@dataclass(frozen=True, slots=True)
class GenesisSupernode:
    """A genesis validator as this pure module sees it (the genesis document's module reads files)."""

    name: str
    pubkey: bytes
    power: int
    operator: Address | None


def genesis_power(params: ChainParams, time_ns: int) -> int:
    """The voting power a minimum self-deposit made at ``time_ns`` gives (``okchaind testnet`` writes it)."""
    deposit_shares = shares(
        params.staking_min_self_deposit, weight(time_ns, bool(params.staking_constant_weight))
    )
    return active.power_of(deposit_shares, params)


def init_genesis(store: Store, nodes: Sequence[GenesisSupernode], time_ns: int, params: ChainParams) -> None:
    """Create the staking validators of ``nodes`` and make all of them the active set."""
    expected = genesis_power(params, time_ns)
    for node in nodes:
        if node.operator is None:
            continue
        if node.power != expected:
            raise GenesisStakingError(
                f"genesis validator {node.name} states power {node.power}, but its self-deposit of "
                f"{params.staking_min_self_deposit} at the genesis time gives {expected}"
            )
        msg = CreateValidator(Description(node.name), node.pubkey, *GENESIS_COMMISSION)
        ctx = MsgContext(node.operator, b"", 0, time_ns, params)
        try:
            handler.handle(store, ctx, msg)
        except ModuleError as exc:
            operator = to_checksum(node.operator)
            raise GenesisStakingError(f"genesis validator {node.name} ({operator}): {exc}") from exc
    active.set_active(store, {node.pubkey: node.power for node in nodes})
