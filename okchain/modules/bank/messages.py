"""Bank messages as domain types (frozen); the protobuf conversion lives in ``codec.py``."""

from dataclasses import dataclass

from okchain.crypto.address import Address


@dataclass(frozen=True, slots=True)
class Transfer:
    to: Address
    denom: str
    amount: int


@dataclass(frozen=True, slots=True)
class Output:
    to: Address
    denom: str
    amount: int


@dataclass(frozen=True, slots=True)
class MultiSend:
    outputs: tuple[Output, ...]


BankMsg = Transfer | MultiSend
