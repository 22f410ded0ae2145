from okchain._pb.bank.v1 import bank_pb2 as _bank_pb2
from okchain._pb.token.v1 import token_pb2 as _token_pb2
from okchain._pb.dex.v1 import dex_pb2 as _dex_pb2
from okchain._pb.staking.v1 import staking_pb2 as _staking_pb2
from okchain._pb.slashing.v1 import slashing_pb2 as _slashing_pb2
from okchain._pb.distribution.v1 import distribution_pb2 as _distribution_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TxRaw(_message.Message):
    __slots__ = ("body_bytes", "signature")
    BODY_BYTES_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    body_bytes: bytes
    signature: bytes
    def __init__(self, body_bytes: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...

class TxBody(_message.Message):
    __slots__ = ("chain_id", "nonce", "gas_limit", "fee", "messages", "memo")
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    GAS_LIMIT_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    chain_id: str
    nonce: int
    gas_limit: int
    fee: str
    messages: _containers.RepeatedCompositeFieldContainer[Msg]
    memo: str
    def __init__(self, chain_id: _Optional[str] = ..., nonce: _Optional[int] = ..., gas_limit: _Optional[int] = ..., fee: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[Msg, _Mapping]]] = ..., memo: _Optional[str] = ...) -> None: ...

class Msg(_message.Message):
    __slots__ = ("transfer", "multi_send", "issue_token", "mint_token", "burn_token", "transfer_ownership", "list_pair", "delist_pair", "place_orders", "cancel_orders", "create_validator", "edit_validator", "deposit", "withdraw", "vote", "register_proxy", "unregister_proxy", "bind_proxy", "unbind_proxy", "destroy_validator", "unjail", "withdraw_rewards")
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    MULTI_SEND_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MINT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    BURN_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_OWNERSHIP_FIELD_NUMBER: _ClassVar[int]
    LIST_PAIR_FIELD_NUMBER: _ClassVar[int]
    DELIST_PAIR_FIELD_NUMBER: _ClassVar[int]
    PLACE_ORDERS_FIELD_NUMBER: _ClassVar[int]
    CANCEL_ORDERS_FIELD_NUMBER: _ClassVar[int]
    CREATE_VALIDATOR_FIELD_NUMBER: _ClassVar[int]
    EDIT_VALIDATOR_FIELD_NUMBER: _ClassVar[int]
    DEPOSIT_FIELD_NUMBER: _ClassVar[int]
    WITHDRAW_FIELD_NUMBER: _ClassVar[int]
    VOTE_FIELD_NUMBER: _ClassVar[int]
    REGISTER_PROXY_FIELD_NUMBER: _ClassVar[int]
    UNREGISTER_PROXY_FIELD_NUMBER: _ClassVar[int]
    BIND_PROXY_FIELD_NUMBER: _ClassVar[int]
    UNBIND_PROXY_FIELD_NUMBER: _ClassVar[int]
    DESTROY_VALIDATOR_FIELD_NUMBER: _ClassVar[int]
    UNJAIL_FIELD_NUMBER: _ClassVar[int]
    WITHDRAW_REWARDS_FIELD_NUMBER: _ClassVar[int]
    transfer: _bank_pb2.MsgTransfer
    multi_send: _bank_pb2.MsgMultiSend
    issue_token: _token_pb2.MsgIssueToken
    mint_token: _token_pb2.MsgMintToken
    burn_token: _token_pb2.MsgBurnToken
    transfer_ownership: _token_pb2.MsgTransferOwnership
    list_pair: _dex_pb2.MsgListPair
    delist_pair: _dex_pb2.MsgDelistPair
    place_orders: _dex_pb2.MsgPlaceOrders
    cancel_orders: _dex_pb2.MsgCancelOrders
    create_validator: _staking_pb2.MsgCreateValidator
    edit_validator: _staking_pb2.MsgEditValidator
    deposit: _staking_pb2.MsgDeposit
    withdraw: _staking_pb2.MsgWithdraw
    vote: _staking_pb2.MsgVote
    register_proxy: _staking_pb2.MsgRegisterProxy
    unregister_proxy: _staking_pb2.MsgUnregisterProxy
    bind_proxy: _staking_pb2.MsgBindProxy
    unbind_proxy: _staking_pb2.MsgUnbindProxy
    destroy_validator: _staking_pb2.MsgDestroyValidator
    unjail: _slashing_pb2.MsgUnjail
    withdraw_rewards: _distribution_pb2.MsgWithdrawRewards
    def __init__(self, transfer: _Optional[_Union[_bank_pb2.MsgTransfer, _Mapping]] = ..., multi_send: _Optional[_Union[_bank_pb2.MsgMultiSend, _Mapping]] = ..., issue_token: _Optional[_Union[_token_pb2.MsgIssueToken, _Mapping]] = ..., mint_token: _Optional[_Union[_token_pb2.MsgMintToken, _Mapping]] = ..., burn_token: _Optional[_Union[_token_pb2.MsgBurnToken, _Mapping]] = ..., transfer_ownership: _Optional[_Union[_token_pb2.MsgTransferOwnership, _Mapping]] = ..., list_pair: _Optional[_Union[_dex_pb2.MsgListPair, _Mapping]] = ..., delist_pair: _Optional[_Union[_dex_pb2.MsgDelistPair, _Mapping]] = ..., place_orders: _Optional[_Union[_dex_pb2.MsgPlaceOrders, _Mapping]] = ..., cancel_orders: _Optional[_Union[_dex_pb2.MsgCancelOrders, _Mapping]] = ..., create_validator: _Optional[_Union[_staking_pb2.MsgCreateValidator, _Mapping]] = ..., edit_validator: _Optional[_Union[_staking_pb2.MsgEditValidator, _Mapping]] = ..., deposit: _Optional[_Union[_staking_pb2.MsgDeposit, _Mapping]] = ..., withdraw: _Optional[_Union[_staking_pb2.MsgWithdraw, _Mapping]] = ..., vote: _Optional[_Union[_staking_pb2.MsgVote, _Mapping]] = ..., register_proxy: _Optional[_Union[_staking_pb2.MsgRegisterProxy, _Mapping]] = ..., unregister_proxy: _Optional[_Union[_staking_pb2.MsgUnregisterProxy, _Mapping]] = ..., bind_proxy: _Optional[_Union[_staking_pb2.MsgBindProxy, _Mapping]] = ..., unbind_proxy: _Optional[_Union[_staking_pb2.MsgUnbindProxy, _Mapping]] = ..., destroy_validator: _Optional[_Union[_staking_pb2.MsgDestroyValidator, _Mapping]] = ..., unjail: _Optional[_Union[_slashing_pb2.MsgUnjail, _Mapping]] = ..., withdraw_rewards: _Optional[_Union[_distribution_pb2.MsgWithdrawRewards, _Mapping]] = ...) -> None: ...
