"""A typed client library for wallets and explorers: queries, txs signed and broadcast with automatic
nonce and gas, streams, and reads verified against a trusted validator set, in a blocking (``Client``)
and a trio (``AsyncClient``) flavour that share one I/O-free core."""

from okchain.client.async_client import AsyncClient
from okchain.client.errors import ClientError, NodeError, VerifyError
from okchain.client.queries import Account
from okchain.client.sync import Client
from okchain.client.txs import TxOutcome, TxWouldFail
from okchain.client.verify import Verified

__all__ = [
    "Account",
    "AsyncClient",
    "Client",
    "ClientError",
    "NodeError",
    "TxOutcome",
    "TxWouldFail",
    "Verified",
    "VerifyError",
]
