"""Module accounts: addresses no key controls, derived from a module name so every node agrees on them."""

from typing import Final

from okchain.crypto.address import Address
from okchain.crypto.hashing import keccak256


def module_address(name: str) -> Address:
    return Address(keccak256(b"okchain/module/" + name.encode())[-20:])


FEE_COLLECTOR: Final = module_address("fee_collector")  # tx fees and per-block order fees
