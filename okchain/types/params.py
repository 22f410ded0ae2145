"""Chain parameters fixed in genesis: the gas schedule and the size limits every node must agree on."""

from dataclasses import asdict, dataclass, fields
from typing import Any

from okchain.errors import OKChainError

OKT_DENOM = "okt"
OKT_DECIMALS = 18
RATE_ONE = 10**18  # rates (commission, community tax, reward shares, slashing) are integers scaled by 10^18


class ParamsError(OKChainError, ValueError):
    """Chain parameters that are missing, not integers, or out of range."""


@dataclass(frozen=True, slots=True)
class ChainParams:
    """All integers; serialised as decimal strings so JSON readers never round them."""

    max_tx_bytes: int = 64 * 1024
    max_block_bytes: int = 16 * 1024 * 1024  # the whole encoded block: header, txs and last commit
    max_block_txs: int = 20_000
    # the gas all txs of a block may want (sum of gas limits): bounds the work of executing a block, and of
    # its end (DEX orders placed, cancelled and expiring are each paid for by the gas of some tx)
    max_block_gas: int = 1_000_000_000
    max_msgs_per_tx: int = 64
    max_multisend_outputs: int = 1_000
    tx_base_gas: int = 20_000
    gas_per_byte: int = 10
    transfer_gas: int = 10_000
    multisend_output_gas: int = 5_000
    max_tx_gas: int = 10_000_000
    # token module: the issue fee (OKT base units) is burned; gas per message
    token_issue_fee: int = 1_000 * 10**OKT_DECIMALS
    token_issue_gas: int = 50_000
    token_mint_gas: int = 20_000
    token_burn_gas: int = 20_000
    token_transfer_ownership_gas: int = 10_000
    # dex module: the listing fee (OKT base units) is burned like the issue fee; an open order pays
    # dex_fee_per_block OKT per block from a reserve of dex_fee_per_block * dex_order_expiry_blocks locked at
    # placement; deal fee in basis points of what each side receives, to the pair owner; gas per message/item
    dex_list_fee: int = 100 * 10**OKT_DECIMALS
    dex_order_expiry_blocks: int = 86_400
    # per-height DEX history (order records, their address index, the journal, deals and fills) is deleted
    # this many blocks after its height, so state stays bounded on a long-running chain; never below the
    # expiry, so every order of a pruned height has closed (0 keeps all history, an archive chain)
    dex_history_blocks: int = 2 * 86_400
    dex_fee_per_block: int = 10**12
    dex_deal_fee_bps: int = 10
    dex_list_gas: int = 50_000
    dex_order_gas: int = 1_000
    dex_cancel_gas: int = 1_000
    # staking module: amounts in OKT base units, periods in seconds of block time; the weight switch is 0
    # (OKChain's weight 2^(weeks since 2000 / 52)) or 1 (constant weight 1); gas per message
    staking_min_self_deposit: int = 10_000 * 10**OKT_DECIMALS
    staking_min_deposit: int = 10**14  # 0.0001 OKT, per deposit and per withdraw
    staking_unbonding_seconds: int = 14 * 86_400
    staking_commission_interval_seconds: int = 86_400  # at most one commission change per interval
    staking_max_votes: int = 30
    staking_constant_weight: int = 0
    staking_epoch_blocks: int = 252  # the active set is re-ranked at every multiple of this height
    staking_max_validators: int = 21  # size of the active set
    staking_power_unit: int = 10**18  # shares per unit of consensus voting power
    staking_validator_gas: int = 50_000  # create, edit and destroy
    staking_deposit_gas: int = 30_000  # deposit and withdraw: they re-share up to staking_max_votes
    staking_vote_gas: int = 30_000
    staking_proxy_gas: int = 30_000  # register, unregister, bind, unbind: each bind pays its later unbinding
    # mint: OKT base units minted per block, halved every mint_halving_years × mint_blocks_per_year blocks
    mint_initial_per_block: int = 10**OKT_DECIMALS
    mint_blocks_per_year: int = 10_512_000  # 3-second blocks
    mint_halving_years: int = 3
    # distribution: rates scaled by RATE_ONE; the community tax comes off the top, then signer_share of the
    # rest is split equally among the previous block's signers, the remainder by shares among the active set
    distribution_community_tax: int = 2 * RATE_ONE // 100
    distribution_signer_share: int = 25 * RATE_ONE // 100
    distribution_withdraw_gas: int = 30_000

    # evidence in blocks: pieces per block, and the oldest height a piece may name (blocks before the block)
    max_block_evidence: int = 16
    evidence_max_age_blocks: int = 10_000
    # slashing: rates are integers scaled by 10^18 (10^18 = 100 %). A validator that signs fewer than
    # slashing_min_signed_rate of the last slashing_window_blocks blocks is jailed for
    # slashing_downtime_jail_seconds of block time; a double sign tombstones it and burns
    # slashing_double_sign_rate of its self-deposit and of the deposits of the accounts voting for it
    slashing_window_blocks: int = 10_000
    slashing_min_signed_rate: int = 5 * 10**16
    slashing_downtime_jail_seconds: int = 600
    slashing_double_sign_rate: int = 5 * 10**16
    slashing_unjail_gas: int = 30_000

    def __post_init__(self) -> None:
        at_least_one = (
            "staking_epoch_blocks",
            "staking_max_validators",
            "staking_power_unit",
            "slashing_window_blocks",
            "evidence_max_age_blocks",
            "mint_blocks_per_year",
            "mint_halving_years",
        )
        for name in at_least_one:
            if getattr(self, name) < 1:
                raise ParamsError(f"param {name} must be at least 1, got {getattr(self, name)}")
        rates = (
            "slashing_min_signed_rate",
            "slashing_double_sign_rate",
            "distribution_community_tax",
            "distribution_signer_share",
        )
        for name in rates:
            if getattr(self, name) > RATE_ONE:
                raise ParamsError(
                    f"param {name} must be at most {RATE_ONE} (100 %), got {getattr(self, name)}"
                )

        if 0 < self.dex_history_blocks < max(self.dex_order_expiry_blocks, 1):
            raise ParamsError(
                f"param dex_history_blocks must be 0 (keep all) or at least dex_order_expiry_blocks "
                f"({max(self.dex_order_expiry_blocks, 1)}), got {self.dex_history_blocks}: "
                "an order must close before its height's records are pruned"
            )

    def to_json(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ChainParams":
        values: dict[str, int] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            raw = data[f.name]
            if not isinstance(raw, str | int) or isinstance(raw, bool) or not str(raw).isdigit():
                raise ParamsError(f"param {f.name} must be a non-negative integer, got {raw!r}")
            values[f.name] = int(raw)
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ParamsError(f"unknown chain params: {', '.join(unknown)}")
        return cls(**values)
