"""Token records in state and the rules that need state: denom assignment, ownership, mintability, caps.

Balances and total supply stay in the bank keeper (one supply record per denom, OKT included); a token
record holds what bank does not: owner, name, mintable flag and the supply it was issued with.

Denom rule: ``symbol-xyz`` where ``xyz`` is the first 3 hex characters of the issuing tx hash; if that
denom exists, the next 3 (characters 4-6), and so on through the 21 non-overlapping 3-character windows
of the 64-character hash. It depends only on the tx hash and state, so every node assigns the same denom;
two issues of one symbol in the same tx take consecutive windows. If all 21 are taken the issue fails.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from okchain.crypto.address import ADDRESS_LEN, Address, to_checksum
from okchain.modules.auth.keeper import Reader, Store
from okchain.modules.bank import keeper as bank
from okchain.modules.context import ModuleError
from okchain.modules.token.messages import MAX_SUPPLY, SUFFIX_LEN
from okchain.state import schema
from okchain.state.codec import decode_uint, encode_uint
from okchain.state.store import KVReader
from okchain.types.params import OKT_DENOM
from okchain.types.results import Code


class TokenError(ModuleError):
    """Root of the token module's refusals."""


class UnknownToken(TokenError):
    code = Code.UNKNOWN_TOKEN


class NotTokenOwner(TokenError):
    code = Code.NOT_TOKEN_OWNER


class TokenNotMintable(TokenError):
    code = Code.TOKEN_NOT_MINTABLE


class SupplyLimit(TokenError):
    code = Code.TOKEN_SUPPLY_LIMIT


class DenomTaken(TokenError):
    code = Code.TOKEN_DENOM_TAKEN


@dataclass(frozen=True, slots=True)
class TokenInfo:
    denom: str
    name: str
    owner: Address
    mintable: bool
    original_supply: int  # what the issue created; the live supply is bank's

    @property
    def symbol(self) -> str:
        return self.denom.rpartition("-")[0]


def _encode(info: TokenInfo) -> bytes:
    """owner (20) || mintable (1) || name length (1) || name (ASCII) || original supply (big-endian)."""
    name = info.name.encode("ascii")
    return info.owner + bytes([int(info.mintable), len(name)]) + name + encode_uint(info.original_supply)


def _decode(denom: str, raw: bytes) -> TokenInfo:
    owner, mintable, name_len = raw[:ADDRESS_LEN], raw[ADDRESS_LEN], raw[ADDRESS_LEN + 1]
    rest = raw[ADDRESS_LEN + 2 :]
    name = rest[:name_len].decode("ascii")
    return TokenInfo(denom, name, Address(owner), bool(mintable), decode_uint(rest[name_len:]))


def get_token(store: Reader, denom: str) -> TokenInfo | None:
    raw = store.get(schema.token_info(denom))
    return None if raw is None else _decode(denom, raw)


def set_token(store: Store, info: TokenInfo) -> None:
    store.set(schema.token_info(info.denom), _encode(info))


def exists(store: Reader, denom: str) -> bool:
    """OKT or an issued token: the denoms a balance can be held in."""
    return denom == OKT_DENOM or store.get(schema.token_info(denom)) is not None


def tokens(store: KVReader, start_denom: str = "", limit: int = 100) -> list[TokenInfo]:
    """Issued tokens ordered by denom, from ``start_denom`` (inclusive), at most ``limit``."""
    prefix = schema.TOKEN_INFO
    start = prefix + start_denom.encode() if start_denom else None
    out: list[TokenInfo] = []
    for key, value in store.iterate(prefix, start):
        if len(out) >= limit:
            break
        out.append(_decode(key[len(prefix) :].decode(), value))
    return out


def candidate_denoms(symbol: str, tx_hash: bytes) -> Iterator[str]:
    digits = tx_hash.hex()
    for i in range(0, len(digits) - SUFFIX_LEN + 1, SUFFIX_LEN):
        yield f"{symbol}-{digits[i : i + SUFFIX_LEN]}"


def new_denom(store: Reader, symbol: str, tx_hash: bytes) -> str:
    """The first candidate denom not yet issued (see the module docstring)."""
    for denom in candidate_denoms(symbol, tx_hash):
        if not exists(store, denom):
            return denom
    raise DenomTaken(
        f"every denom of symbol {symbol!r} this tx hash can give is already issued; resend the tx"
    )


def owned(store: Reader, denom: str, signer: bytes, action: str) -> TokenInfo:
    """The token ``signer`` owns, or the precise reason ``action`` is refused."""
    if denom == OKT_DENOM:
        raise NotTokenOwner(f"cannot {action} {OKT_DENOM}: it has no owner")
    info = get_token(store, denom)
    if info is None:
        raise UnknownToken(f"cannot {action} {denom}: no such token")
    if info.owner != signer:
        raise NotTokenOwner(f"cannot {action} {denom}: owned by {to_checksum(info.owner)}, not the signer")
    return info


def check_mint(store: Reader, info: TokenInfo, amount: int) -> None:
    if not info.mintable:
        raise TokenNotMintable(f"cannot mint {info.denom}: it was issued as not mintable")
    after = bank.get_supply(store, info.denom) + amount
    if after > MAX_SUPPLY:
        raise SupplyLimit(
            f"cannot mint {amount}{info.denom}: supply would be {after}, above the maximum {MAX_SUPPLY}"
        )


def require_exists(store: Reader, denom: str, action: str) -> None:
    if not exists(store, denom):
        raise UnknownToken(f"cannot {action} {denom}: no such token")
