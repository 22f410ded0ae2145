"""The gas schedule: static, so gas is known before execution and every node charges the same.

gas = tx_base_gas + gas_per_byte * len(raw tx) + per message the cost listed in ``MSG_GAS`` (transfer_gas;
multisend_output_gas per output; the token and dex costs). The fee must be at least gas_limit * the node's
minimum gas price (a node-local admission rule); the whole fee is charged, as in Cosmos SDK.
"""

from collections.abc import Callable
from typing import Any

from okchain.modules.bank.messages import MultiSend, Transfer
from okchain.modules.dex.messages import CancelOrders, DelistPair, ListPair, PlaceOrders
from okchain.modules.token.messages import BurnToken, IssueToken, MintToken, TransferOwnership
from okchain.types.params import ChainParams
from okchain.types.tx import Tx

# Message type → its gas from the chain params. A module joins by listing its message types here.
MSG_GAS: dict[type, Callable[[Any, ChainParams], int]] = {
    Transfer: lambda msg, p: p.transfer_gas,
    MultiSend: lambda msg, p: p.multisend_output_gas * len(msg.outputs),
    IssueToken: lambda msg, p: p.token_issue_gas,
    MintToken: lambda msg, p: p.token_mint_gas,
    BurnToken: lambda msg, p: p.token_burn_gas,
    TransferOwnership: lambda msg, p: p.token_transfer_ownership_gas,
    ListPair: lambda msg, p: p.dex_list_gas,
    DelistPair: lambda msg, p: p.dex_list_gas,
    PlaceOrders: lambda msg, p: p.dex_order_gas * len(msg.orders),
    CancelOrders: lambda msg, p: p.dex_cancel_gas * len(msg.ids),
}


def required_gas(tx: Tx, params: ChainParams) -> int:
    gas = params.tx_base_gas + params.gas_per_byte * len(tx.raw)
    for msg in tx.msgs:
        gas += MSG_GAS[type(msg)](msg, params)
    return gas
