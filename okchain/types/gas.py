"""The gas schedule: static, so gas is known before execution and every node charges the same.

gas = tx_base_gas + gas_per_byte * len(raw tx) + per message (transfer_gas, or multisend_output_gas per
output). The fee must be at least gas_limit * the node's minimum gas price (a node-local admission rule);
the whole fee is charged, as in Cosmos SDK.
"""

from okchain.modules.bank.messages import Transfer
from okchain.types.params import ChainParams
from okchain.types.tx import Tx


def required_gas(tx: Tx, params: ChainParams) -> int:
    gas = params.tx_base_gas + params.gas_per_byte * len(tx.raw)
    for msg in tx.msgs:
        if isinstance(msg, Transfer):
            gas += params.transfer_gas
        else:
            gas += params.multisend_output_gas * len(msg.outputs)
    return gas
