from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuthSig(_message.Message):
    __slots__ = ("pub_key", "signature")
    PUB_KEY_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    pub_key: bytes
    signature: bytes
    def __init__(self, pub_key: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...

class NodeInfo(_message.Message):
    __slots__ = ("node_id", "listen_port", "network", "version", "channels", "moniker", "refusal")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    LISTEN_PORT_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    MONIKER_FIELD_NUMBER: _ClassVar[int]
    REFUSAL_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    listen_port: int
    network: str
    version: str
    channels: bytes
    moniker: str
    refusal: str
    def __init__(self, node_id: _Optional[str] = ..., listen_port: _Optional[int] = ..., network: _Optional[str] = ..., version: _Optional[str] = ..., channels: _Optional[bytes] = ..., moniker: _Optional[str] = ..., refusal: _Optional[str] = ...) -> None: ...

class PacketMsg(_message.Message):
    __slots__ = ("channel", "eof", "data")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    EOF_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    channel: int
    eof: bool
    data: bytes
    def __init__(self, channel: _Optional[int] = ..., eof: _Optional[bool] = ..., data: _Optional[bytes] = ...) -> None: ...

class Ping(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Pong(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Packet(_message.Message):
    __slots__ = ("ping", "pong", "msg")
    PING_FIELD_NUMBER: _ClassVar[int]
    PONG_FIELD_NUMBER: _ClassVar[int]
    MSG_FIELD_NUMBER: _ClassVar[int]
    ping: Ping
    pong: Pong
    msg: PacketMsg
    def __init__(self, ping: _Optional[_Union[Ping, _Mapping]] = ..., pong: _Optional[_Union[Pong, _Mapping]] = ..., msg: _Optional[_Union[PacketMsg, _Mapping]] = ...) -> None: ...

class Frame(_message.Message):
    __slots__ = ("packets",)
    PACKETS_FIELD_NUMBER: _ClassVar[int]
    packets: _containers.RepeatedCompositeFieldContainer[Packet]
    def __init__(self, packets: _Optional[_Iterable[_Union[Packet, _Mapping]]] = ...) -> None: ...

class PeerAddress(_message.Message):
    __slots__ = ("node_id", "host", "port")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    host: str
    port: int
    def __init__(self, node_id: _Optional[str] = ..., host: _Optional[str] = ..., port: _Optional[int] = ...) -> None: ...

class PexRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PexAddrs(_message.Message):
    __slots__ = ("addrs",)
    ADDRS_FIELD_NUMBER: _ClassVar[int]
    addrs: _containers.RepeatedCompositeFieldContainer[PeerAddress]
    def __init__(self, addrs: _Optional[_Iterable[_Union[PeerAddress, _Mapping]]] = ...) -> None: ...

class PexMessage(_message.Message):
    __slots__ = ("request", "addrs")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    ADDRS_FIELD_NUMBER: _ClassVar[int]
    request: PexRequest
    addrs: PexAddrs
    def __init__(self, request: _Optional[_Union[PexRequest, _Mapping]] = ..., addrs: _Optional[_Union[PexAddrs, _Mapping]] = ...) -> None: ...
