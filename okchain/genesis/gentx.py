"""Genesis validator declarations (gentx files): an OKB holder's key asks to stake a supernode from block one.

A gentx names the chain, the moniker, the consensus (ed25519) key its node signs with, and the operator
address, and is signed with the operator's secp256k1 key, the same key that controls its migrated OKT, so
no one can declare a supernode paid from someone else's balance. ``okchaind genesis add-validator`` writes
one; ``okchaind genesis collect`` checks them all (signature, chain id, balance, duplicates) and puts them
into the genesis validators, where the staking module's genesis turns each into a CreateValidator.

The signature covers ``sha256("okchain-gentx\\0" || canonical JSON of the other fields)``.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from okchain.crypto.address import Address, to_checksum
from okchain.crypto.hashing import sha256
from okchain.crypto.secp import AccountKey, SignatureError, recover_address
from okchain.genesis.document import GenesisFileError

_DOMAIN = b"okchain-gentx\x00"
_FIELDS = ("chain_id", "consensus_pubkey", "moniker", "operator", "signature")
MAX_GENTX_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class GenTx:
    chain_id: str
    moniker: str
    consensus_pubkey: bytes
    operator: Address
    signature: bytes = b""

    def body(self) -> dict[str, str]:
        return {
            "chain_id": self.chain_id,
            "consensus_pubkey": self.consensus_pubkey.hex(),
            "moniker": self.moniker,
            "operator": to_checksum(self.operator),
        }

    def digest(self) -> bytes:
        return sha256(_DOMAIN + json.dumps(self.body(), sort_keys=True, separators=(",", ":")).encode())

    def to_json(self) -> dict[str, str]:
        return {**self.body(), "signature": "0x" + self.signature.hex()}

    def signer_problem(self) -> str | None:
        """``None`` if the operator signed exactly these fields."""
        try:
            signer = recover_address(self.digest(), self.signature)
        except SignatureError as exc:
            return f"bad signature: {exc}"
        if signer != self.operator:
            return f"signed by {to_checksum(signer)}, not by the operator {to_checksum(self.operator)}"
        return None


def sign_gentx(key: AccountKey, chain_id: str, moniker: str, consensus_pubkey: bytes) -> GenTx:
    unsigned = GenTx(chain_id, moniker, consensus_pubkey, key.address)
    return GenTx(chain_id, moniker, consensus_pubkey, key.address, key.sign_digest(unsigned.digest()))


def _hex(value: object, what: str, length: int, prefix: str = "") -> bytes:
    if not isinstance(value, str) or not value.startswith(prefix):
        raise GenesisFileError(f"{what} must be a {prefix}hex string")
    try:
        raw = bytes.fromhex(value[len(prefix) :])
    except ValueError:
        raise GenesisFileError(f"{what} is not hex: {value!r}") from None
    if len(raw) != length:
        raise GenesisFileError(f"{what} must be {length} bytes, got {len(raw)}")
    return raw


def read_gentx(path: Path) -> GenTx:
    """One gentx file, shape checked (the signature is checked by ``signer_problem``)."""
    try:
        if path.stat().st_size > MAX_GENTX_BYTES:
            raise GenesisFileError(f"gentx {path} is larger than {MAX_GENTX_BYTES} bytes")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GenesisFileError(f"cannot read gentx {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise GenesisFileError(f"gentx {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or sorted(data) != sorted(_FIELDS):
        raise GenesisFileError(f"gentx {path} must be an object with exactly: {', '.join(_FIELDS)}")
    where = f"gentx {path}"
    for name in ("chain_id", "moniker"):
        if not isinstance(data[name], str) or not data[name]:
            raise GenesisFileError(f"{where}: {name} must be a non-empty string")
    return GenTx(
        data["chain_id"],
        data["moniker"],
        _hex(data["consensus_pubkey"], f"{where}: consensus_pubkey", 32),
        Address(_hex(data["operator"], f"{where}: operator", 20, "0x")),
        _hex(data["signature"], f"{where}: signature", 65, "0x"),
    )
