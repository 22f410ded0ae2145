"""Genesis supernodes from holders' keys: ``genesis add-validator`` signs a gentx, ``genesis collect`` checks
them and stakes each from the holder's migrated OKT, so the application starts with them as staking
validators; forged, underfunded, foreign-chain and duplicate gentxs are refused with the file named."""

import json
from pathlib import Path
from typing import Any

import pytest

from okchain.app import Application
from okchain.cli.main import main
from okchain.crypto.address import to_checksum
from okchain.crypto.hd import account_from_mnemonic
from okchain.genesis.document import load_genesis
from okchain.modules.staking import keeper as k
from okchain.modules.staking.genesis import genesis_power
from okchain.state.store import MemoryKV

MNEMONIC = "test test test test test test test test test test test junk"
HOLDER = account_from_mnemonic(MNEMONIC)  # Hardhat account 0
POOR = account_from_mnemonic(MNEMONIC, path="m/44'/60'/0'/0/1")


class Homes:
    def __init__(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.tmp = tmp_path
        self.capsys = capsys
        self.password = tmp_path / "password"
        self.password.write_text("pw\n")
        self.mnemonic = tmp_path / "mnemonic"
        self.mnemonic.write_text(MNEMONIC + "\n")
        self.snapshot = tmp_path / "okb.csv"
        self.snapshot.write_text(
            '"HolderAddress","Balance","PendingBalanceUpdate"\n'
            f'"{to_checksum(HOLDER.address)}","1000000","No"\n'
            f'"{to_checksum(POOR.address)}","9999","No"\n'
        )

    def run(self, *argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *argv: str) -> Any:
        code, out, err = self.run(*argv)
        assert code == 0, err
        return json.loads(out)

    def node(self, name: str, key_path: str = "m/44'/60'/0'/0/0") -> Path:
        """A home initialised from the snapshot, holding keyring key ``op`` at ``key_path``."""
        home = self.tmp / name
        self.ok(
            "init", "--home", str(home), "--chain-id", "okchain-gentx-1", "--snapshot", str(self.snapshot)
        )
        self.ok(
            "keys", "add", "op", "--recover", "--mnemonic-file", str(self.mnemonic), "--path", key_path,
            "--home", str(home), "--password-file", str(self.password),
        )  # fmt: skip
        return home

    def add_validator(self, home: Path, *extra: str) -> tuple[int, str, str]:
        return self.run(
            "genesis", "add-validator", "--home", str(home), "--key", "op",
            "--password-file", str(self.password), *extra,
        )  # fmt: skip


@pytest.fixture
def homes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Homes:
    return Homes(tmp_path, capsys)


def test_a_holder_key_becomes_a_staked_genesis_supernode(homes: Homes) -> None:
    home = homes.node("alpha")
    code, out, err = homes.add_validator(home)
    assert code == 0, err
    gentx = json.loads(out)
    assert gentx["operator"] == to_checksum(HOLDER.address) and gentx["moniker"] == "alpha"
    collected = homes.ok("genesis", "collect", "--home", str(home))
    doc = load_genesis(home / "config" / "genesis.json")
    (validator,) = doc.header.validators
    assert collected["validators"] == [validator.to_json()]
    assert validator.operator == HOLDER.address
    time_ns = int(doc.header.genesis_time.timestamp()) * 10**9
    assert validator.power == genesis_power(doc.header.params, time_ns)
    app = Application(MemoryKV(), doc)
    staked = k.get_validator(app.state, HOLDER.address)
    assert staked is not None and staked.self_deposit == doc.header.params.staking_min_self_deposit
    assert app.validator_set(1).validators[0].pub_key == validator.pub_key


def test_an_underfunded_holder_cannot_declare_a_supernode(homes: Homes) -> None:
    home = homes.node("poor", "m/44'/60'/0'/0/1")
    code, _, err = homes.add_validator(home)
    assert code == 1 and "less than the minimum self-deposit" in err


def test_collect_refuses_forged_and_duplicate_gentxs(homes: Homes) -> None:
    home = homes.node("alpha")
    assert homes.add_validator(home)[0] == 0
    folder = home / "config" / "gentx"
    original = json.loads((folder / "gentx-alpha.json").read_text())
    (folder / "gentx-copy.json").write_text(json.dumps(original))
    (folder / "gentx-forged.json").write_text(json.dumps({**original, "moniker": "forged"}))
    code, _, err = homes.run("genesis", "collect", "--home", str(home))
    assert code == 1
    assert "gentx-copy.json: the same operator as" in err and "the same consensus key as" in err
    assert "gentx-forged.json: signed by" in err  # the moniker changed after signing
    assert load_genesis(home / "config" / "genesis.json").header.validators[0].operator is None  # unchanged


def test_collect_refuses_a_gentx_of_another_chain(homes: Homes, tmp_path: Path) -> None:
    home = homes.node("alpha")
    other = tmp_path / "other"
    homes.ok("init", "--home", str(other), "--chain-id", "okchain-other-1", "--snapshot", str(homes.snapshot))
    homes.ok(
        "keys", "add", "op", "--recover", "--mnemonic-file", str(homes.mnemonic),
        "--home", str(other), "--password-file", str(homes.password),
    )  # fmt: skip
    out = tmp_path / "foreign.json"
    assert homes.add_validator(other, "--out", str(out))[0] == 0
    folder = home / "config" / "gentx"
    folder.mkdir(parents=True)
    out.rename(folder / "foreign.json")
    code, _, err = homes.run("genesis", "collect", "--home", str(home))
    assert code == 1 and "chain id 'okchain-other-1' is not 'okchain-gentx-1'" in err
