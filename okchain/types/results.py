"""Execution results: result codes every node agrees on, events, and per-tx results."""

from dataclasses import dataclass
from enum import IntEnum


class Code(IntEnum):
    """Result codes (stable: they are stored in block results and served to wallets)."""

    OK = 0
    TX_DECODE = 1
    WRONG_CHAIN_ID = 2
    BAD_SIGNATURE = 3
    BAD_NONCE = 4
    INSUFFICIENT_FEE_FUNDS = 5
    OUT_OF_GAS = 6
    INSUFFICIENT_FUNDS = 7
    INVALID_MSG = 8
    TX_TOO_LARGE = 9
    MEMPOOL_FULL = 10
    DUPLICATE_TX = 11
    FEE_TOO_LOW = 12
    GAS_LIMIT_TOO_HIGH = 13
    NODE_BUSY = 14
    # token module (15–19)
    UNKNOWN_TOKEN = 15
    NOT_TOKEN_OWNER = 16
    TOKEN_NOT_MINTABLE = 17
    TOKEN_SUPPLY_LIMIT = 18
    TOKEN_DENOM_TAKEN = 19
    DEX_UNKNOWN_PAIR = 20
    DEX_UNKNOWN_ORDER = 21
    DEX_NOT_OWNER = 22
    DEX_ORDER_CLOSED = 23
    DEX_DUPLICATE_PAIR = 24
    # staking module (25–39)
    STAKING_VALIDATOR_EXISTS = 25
    STAKING_UNKNOWN_VALIDATOR = 26
    STAKING_VALIDATOR_DESTROYED = 27
    STAKING_BELOW_MINIMUM = 28
    STAKING_INSUFFICIENT_DEPOSIT = 29
    STAKING_COMMISSION_CHANGE = 30
    STAKING_TOO_MANY_VOTES = 31
    STAKING_NO_DEPOSIT = 32
    STAKING_BOUND_TO_PROXY = 33
    STAKING_PROXY_RULE = 34
    # slashing module (60–64)
    SLASHING_NOT_JAILED = 60
    SLASHING_STILL_JAILED = 61
    SLASHING_TOMBSTONED = 62
    # distribution module (55–59)
    DISTRIBUTION_NO_REWARDS = 55


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class TxResult:
    code: Code
    log: str
    gas_wanted: int
    gas_used: int
    events: tuple[Event, ...] = ()
    signer: bytes = b""
    nonce: int = 0
    fee: int = 0

    @property
    def ok(self) -> bool:
        return self.code == Code.OK
