from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Offer(_message.Message):
    __slots__ = ("height", "chunks", "keys", "chunks_hash", "app_hash")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_HASH_FIELD_NUMBER: _ClassVar[int]
    APP_HASH_FIELD_NUMBER: _ClassVar[int]
    height: int
    chunks: int
    keys: int
    chunks_hash: bytes
    app_hash: bytes
    def __init__(self, height: _Optional[int] = ..., chunks: _Optional[int] = ..., keys: _Optional[int] = ..., chunks_hash: _Optional[bytes] = ..., app_hash: _Optional[bytes] = ...) -> None: ...

class OffersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class OffersResponse(_message.Message):
    __slots__ = ("offers",)
    OFFERS_FIELD_NUMBER: _ClassVar[int]
    offers: _containers.RepeatedCompositeFieldContainer[Offer]
    def __init__(self, offers: _Optional[_Iterable[_Union[Offer, _Mapping]]] = ...) -> None: ...

class ManifestRequest(_message.Message):
    __slots__ = ("height", "chunks_hash")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_HASH_FIELD_NUMBER: _ClassVar[int]
    height: int
    chunks_hash: bytes
    def __init__(self, height: _Optional[int] = ..., chunks_hash: _Optional[bytes] = ...) -> None: ...

class ManifestResponse(_message.Message):
    __slots__ = ("height", "chunks_hash", "manifest", "missing")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_HASH_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    height: int
    chunks_hash: bytes
    manifest: bytes
    missing: bool
    def __init__(self, height: _Optional[int] = ..., chunks_hash: _Optional[bytes] = ..., manifest: _Optional[bytes] = ..., missing: _Optional[bool] = ...) -> None: ...

class ChunkRequest(_message.Message):
    __slots__ = ("height", "chunks_hash", "index")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_HASH_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    height: int
    chunks_hash: bytes
    index: int
    def __init__(self, height: _Optional[int] = ..., chunks_hash: _Optional[bytes] = ..., index: _Optional[int] = ...) -> None: ...

class ChunkResponse(_message.Message):
    __slots__ = ("height", "chunks_hash", "index", "data", "missing")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_HASH_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    height: int
    chunks_hash: bytes
    index: int
    data: bytes
    missing: bool
    def __init__(self, height: _Optional[int] = ..., chunks_hash: _Optional[bytes] = ..., index: _Optional[int] = ..., data: _Optional[bytes] = ..., missing: _Optional[bool] = ...) -> None: ...

class LightBlockRequest(_message.Message):
    __slots__ = ("height",)
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    height: int
    def __init__(self, height: _Optional[int] = ...) -> None: ...

class LightBlockResponse(_message.Message):
    __slots__ = ("height", "header", "commit", "validators", "next_validators", "missing")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    VALIDATORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_VALIDATORS_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    height: int
    header: bytes
    commit: bytes
    validators: bytes
    next_validators: bytes
    missing: bool
    def __init__(self, height: _Optional[int] = ..., header: _Optional[bytes] = ..., commit: _Optional[bytes] = ..., validators: _Optional[bytes] = ..., next_validators: _Optional[bytes] = ..., missing: _Optional[bool] = ...) -> None: ...

class Message(_message.Message):
    __slots__ = ("offers_request", "offers_response", "manifest_request", "manifest_response", "chunk_request", "chunk_response", "light_block_request", "light_block_response")
    OFFERS_REQUEST_FIELD_NUMBER: _ClassVar[int]
    OFFERS_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_REQUEST_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    CHUNK_REQUEST_FIELD_NUMBER: _ClassVar[int]
    CHUNK_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    LIGHT_BLOCK_REQUEST_FIELD_NUMBER: _ClassVar[int]
    LIGHT_BLOCK_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    offers_request: OffersRequest
    offers_response: OffersResponse
    manifest_request: ManifestRequest
    manifest_response: ManifestResponse
    chunk_request: ChunkRequest
    chunk_response: ChunkResponse
    light_block_request: LightBlockRequest
    light_block_response: LightBlockResponse
    def __init__(self, offers_request: _Optional[_Union[OffersRequest, _Mapping]] = ..., offers_response: _Optional[_Union[OffersResponse, _Mapping]] = ..., manifest_request: _Optional[_Union[ManifestRequest, _Mapping]] = ..., manifest_response: _Optional[_Union[ManifestResponse, _Mapping]] = ..., chunk_request: _Optional[_Union[ChunkRequest, _Mapping]] = ..., chunk_response: _Optional[_Union[ChunkResponse, _Mapping]] = ..., light_block_request: _Optional[_Union[LightBlockRequest, _Mapping]] = ..., light_block_response: _Optional[_Union[LightBlockResponse, _Mapping]] = ...) -> None: ...
