"""Paging shared by every list the API serves: page sizes, opaque cursors, and a byte budget per reply.

A cursor is a few unsigned integers (a height, an index) packed and base64url-encoded: opaque to clients,
checked on the way back in, and carrying the height the first page read so new blocks do not shift later
pages. The byte budget keeps any reply well under gRPC's default 4 MiB receive cap, whatever the items
(a block of 64 KiB txs pages at a few dozen txs).
"""

import base64
import binascii
import struct
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

import grpc
from google.protobuf.message import Message

from okchain.rpc.convert import RequestError

DEFAULT_PAGE = 30
MAX_PAGE = 100
PAGE_BYTES = 2 * 1024 * 1024
_NUMBER = struct.Struct(">Q")
M = TypeVar("M", bound=Message)


def page_size(requested: int) -> int:
    """0 asks for the default; more than the maximum gets the maximum."""
    return min(requested or DEFAULT_PAGE, MAX_PAGE)


def encode_token(*numbers: int) -> str:
    raw = b"".join(_NUMBER.pack(n) for n in numbers)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, count: int) -> tuple[int, ...]:
    """The ``count`` numbers of a token this API gave, or INVALID_ARGUMENT."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != count * _NUMBER.size or encode_token(*_numbers(raw)) != token:
        raise RequestError(
            grpc.StatusCode.INVALID_ARGUMENT, f"page token {token[:40]!r} is not one this query gave"
        )
    return _numbers(raw)


def _numbers(raw: bytes) -> tuple[int, ...]:
    return tuple(int(n) for (n,) in _NUMBER.iter_unpack(raw))


def within_budget(items: Iterable[M], budget: int = PAGE_BYTES) -> list[M]:
    """The leading items whose encoded sizes add up to at most ``budget`` (the first one always)."""
    kept: list[M] = []
    used = 0
    for item in items:
        used += item.ByteSize() + 8  # + the field tag and length of a repeated message entry
        if kept and used > budget:
            break
        kept.append(item)
    return kept


def height_token(token: str, height: int) -> tuple[int, int]:
    """(height, position) of a (height, position) cursor; ``height`` (0: any) must match the token's."""
    token_height, position = decode_token(token, 2)
    if height and height != token_height:
        raise RequestError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"page token is for height {token_height}, the request asks for height {height}",
        )
    return token_height, position


def index_page(
    height: int, start: int, total: int, size: int, build: Callable[[range], Sequence[M]]
) -> tuple[list[M], str]:
    """A page of items ``start``… of the ``total`` at ``height`` (built by ``build`` for a range of
    indexes), cut to the byte budget, and the token of the next page ("" after the last)."""
    if start > total:
        raise RequestError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"page token starts at item {start}, height {height} has {total}",
        )
    page = within_budget(build(range(start, min(total, start + size))))
    end = start + len(page)
    return page, encode_token(height, end) if end < total else ""
