"""The gas schedule: static, so gas is known before execution and every node charges the same.

gas = tx_base_gas + gas_per_byte * len(raw tx) + per message the cost its module's codec lists in ``GAS``
(transfer_gas; multisend_output_gas per output; the token and dex costs). The fee must be at least
gas_limit * the node's minimum gas price (a node-local admission rule); the whole fee is charged, as in
Cosmos SDK.
"""

from okchain.tx.envelope import Tx
from okchain.tx.registry import msg_gas
from okchain.types.params import ChainParams


def required_gas(tx: Tx, params: ChainParams) -> int:
    gas = params.tx_base_gas + params.gas_per_byte * len(tx.raw)
    for msg in tx.msgs:
        gas += msg_gas(msg, params)
    return gas
