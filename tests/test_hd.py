"""HD derivation against published vectors: BIP32 test vector 1, BIP39 (Trezor), Hardhat/MetaMask."""

import pytest

from okchain.crypto.address import to_checksum
from okchain.crypto.hd import (
    DEFAULT_PATH,
    HARDENED,
    DerivationPathError,
    MnemonicError,
    account_from_mnemonic,
    generate_mnemonic,
    master_key,
    mnemonic_to_seed,
    parse_path,
    validate_mnemonic,
)

HARDHAT = "test test test test test test test test test test test junk"
ABANDON_ABOUT = " ".join(["abandon"] * 11 + ["about"])


@pytest.mark.parametrize(
    ("index", "address"),
    [(0, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"), (1, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8")],
)
def test_hardhat_accounts(index: int, address: str) -> None:
    key = account_from_mnemonic(HARDHAT, path=f"m/44'/60'/0'/0/{index}")
    assert to_checksum(key.address) == address


def test_default_path_is_metamask_first_account() -> None:
    assert DEFAULT_PATH == "m/44'/60'/0'/0/0"
    assert to_checksum(account_from_mnemonic(HARDHAT).address) == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def test_mnemonic_is_normalized_before_hashing() -> None:
    messy = "  TEST test\ttest test test test test test test test test\n JUNK "
    assert account_from_mnemonic(messy) == account_from_mnemonic(HARDHAT)


def test_passphrase_changes_the_account() -> None:
    assert account_from_mnemonic(HARDHAT, "extra") != account_from_mnemonic(HARDHAT)


def test_bip39_trezor_vector_seed() -> None:
    assert mnemonic_to_seed(ABANDON_ABOUT, "TREZOR").hex() == (
        "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f"
        "09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
    )


# BIP32 test vector 1, seed 000102...0f: (path, private key, chain code)
BIP32_VECTOR_1 = [
    (
        "m",
        "e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35",
        "873dff81c02f525623fd1fe5167eac3a55a049de3d314bb42ee227ffed37d508",
    ),
    (
        "m/0'",
        "edb2e14f9ee77d26dd93b4ecede8d16ed408ce149b6cd80b0715a2d911a0afea",
        "47fdacbd0f1097043b78c63c20c34ef4ed9a111d980047ad16282c7ae6236141",
    ),
    (
        "m/0'/1",
        "3c6cb8d0f6a264c91ea8b5030fadaa8e538b020f0a387421a12de9319dc93368",
        "2a7857631386ba23dacac34180dd1983734e444fdbf774041578e9b6adb37c19",
    ),
    (
        "m/0H/1/2h",
        "cbce0d719ecf7431d88e6a89fa1483e02e35092af60c042b1df2ff59fa424dca",
        "04466b9cc8e161e966409ca52986c584f07e9dc81f735db683c3ff6ec7b1503f",
    ),
]


@pytest.mark.parametrize(("path", "secret", "chain_code"), BIP32_VECTOR_1)
def test_bip32_vector_1(path: str, secret: str, chain_code: str) -> None:
    node = master_key(bytes.fromhex("000102030405060708090a0b0c0d0e0f")).derive(path)
    assert node.secret.hex() == secret
    assert node.chain_code.hex() == chain_code


def test_parse_path() -> None:
    assert parse_path("m") == ()
    assert parse_path("m/44'/60'/0'/0/7") == (44 + HARDENED, 60 + HARDENED, HARDENED, 0, 7)
    assert parse_path("m/1h/2H") == (1 + HARDENED, 2 + HARDENED)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("44'/60'/0'/0/0", "must start with 'm'"),
        ("m/44'/x/0", "bad segment 'x'"),
        ("m/44''", "bad segment"),
        ("m/", "bad segment ''"),
        ("m/-1", "bad segment"),
        ("m/2147483648", r"below 2\^31"),
    ],
)
def test_bad_paths_refused(path: str, reason: str) -> None:
    with pytest.raises(DerivationPathError, match=reason):
        account_from_mnemonic(HARDHAT, path=path)


def test_bad_checksum_refused() -> None:
    with pytest.raises(MnemonicError, match="checksum"):
        account_from_mnemonic(" ".join(["abandon"] * 12))


def test_unknown_word_refused_by_position() -> None:
    with pytest.raises(MnemonicError, match=r"#12 'junkk'"):
        validate_mnemonic(HARDHAT + "k")


def test_wrong_word_count_refused() -> None:
    with pytest.raises(MnemonicError, match="has 11 words"):
        validate_mnemonic(" ".join(["abandon"] * 11))
    with pytest.raises(MnemonicError, match="has 0 words"):
        validate_mnemonic("   ")


def test_generated_mnemonic_is_valid_and_fresh() -> None:
    phrase = generate_mnemonic()
    assert len(phrase.split()) == 24
    assert validate_mnemonic(phrase) == phrase
    assert generate_mnemonic() != phrase
    assert len(generate_mnemonic(12).split()) == 12
    with pytest.raises(MnemonicError):
        generate_mnemonic(13)
