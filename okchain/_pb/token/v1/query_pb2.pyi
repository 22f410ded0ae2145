from okchain._pb.token.v1 import token_pb2 as _token_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TokenRequest(_message.Message):
    __slots__ = ("denom", "height")
    DENOM_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    denom: str
    height: int
    def __init__(self, denom: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class TokenResponse(_message.Message):
    __slots__ = ("token", "height")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    token: _token_pb2.Token
    height: int
    def __init__(self, token: _Optional[_Union[_token_pb2.Token, _Mapping]] = ..., height: _Optional[int] = ...) -> None: ...

class TokensRequest(_message.Message):
    __slots__ = ("page_token", "page_size", "height")
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    page_token: str
    page_size: int
    height: int
    def __init__(self, page_token: _Optional[str] = ..., page_size: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class TokensResponse(_message.Message):
    __slots__ = ("tokens", "next_page_token", "height")
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedCompositeFieldContainer[_token_pb2.Token]
    next_page_token: str
    height: int
    def __init__(self, tokens: _Optional[_Iterable[_Union[_token_pb2.Token, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...
