"""``okchaind keys``: create, recover, import, list, show and export the account keys of a node home."""

import argparse
import getpass
import json
from pathlib import Path
from typing import Any

from okchain.cli.common import (
    CLIError,
    add_home_arg,
    add_password_file_arg,
    read_password,
    read_password_file,
)
from okchain.crypto.hd import DEFAULT_PATH, account_from_mnemonic, generate_mnemonic
from okchain.crypto.keyring import Keyring

MNEMONIC_WORDS = 24
MNEMONIC_WARNING = (
    "Write this mnemonic down and keep it offline. It is shown only once and is the only way to "
    "recover the key if the keyring or its password is lost."
)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2))


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CLIError(f"cannot read {what} {path}: {exc.strerror}") from None


def _add(args: argparse.Namespace) -> int:
    keyring = Keyring(args.home)
    keyring.ensure_available(args.name)
    if args.mnemonic_file is not None and not args.recover:
        raise CLIError("--mnemonic-file only applies with --recover")
    if args.recover:
        if args.mnemonic_file is not None:
            phrase = _read_text(args.mnemonic_file, "mnemonic file")
        else:
            phrase = getpass.getpass("BIP39 mnemonic to recover: ")
    else:
        phrase = generate_mnemonic(MNEMONIC_WORDS)
    key = account_from_mnemonic(phrase, path=args.path)
    password = read_password(args, f"Password to encrypt key {args.name!r}: ", confirm=True)
    out: dict[str, str] = {**keyring.add(args.name, key, password).to_json(), "path": args.path}
    if not args.recover:
        out |= {"mnemonic": phrase, "warning": MNEMONIC_WARNING}
    _print_json(out)
    return 0


def _import(args: argparse.Namespace) -> int:
    keyring = Keyring(args.home)
    keyring.ensure_available(args.name)
    keystore = _read_text(args.keystore_file, "keystore file")
    if args.keystore_password_file is not None:
        keystore_password = read_password_file(args.keystore_password_file)
    else:
        keystore_password = getpass.getpass("Password of the keystore file: ")
    password = read_password(args, f"Password to encrypt key {args.name!r} in the keyring: ", confirm=True)
    _print_json(keyring.import_keystore(args.name, keystore, keystore_password, password).to_json())
    return 0


def _list(args: argparse.Namespace) -> int:
    _print_json([info.to_json() for info in Keyring(args.home).list()])
    return 0


def _show(args: argparse.Namespace) -> int:
    _print_json(Keyring(args.home).show(args.name).to_json())
    return 0


def _export(args: argparse.Namespace) -> int:
    _print_json(Keyring(args.home).export(args.name))
    return 0


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    keys = sub.add_parser("keys", help="manage account keys (encrypted keystore files under <home>/keyring)")
    commands = keys.add_subparsers(dest="keys_command", required=True)

    add = commands.add_parser("add", help="create a key from a new 24-word mnemonic, or recover one")
    add.add_argument("name")
    add.add_argument("--recover", action="store_true", help="derive the key from an existing mnemonic")
    add.add_argument("--mnemonic-file", type=Path, help="with --recover: read the mnemonic from this file")
    add.add_argument("--path", default=DEFAULT_PATH, help="BIP44 derivation path (default: %(default)s)")
    add_password_file_arg(add)
    add.set_defaults(func=_add)

    imp = commands.add_parser("import", help="import a Web3 secret-storage (geth/MetaMask) keystore file")
    imp.add_argument("name")
    imp.add_argument("keystore_file", type=Path)
    imp.add_argument("--keystore-password-file", type=Path, help="password of the keystore file")
    add_password_file_arg(imp)
    imp.set_defaults(func=_import)

    lst = commands.add_parser("list", help="list stored keys, sorted by name")
    lst.set_defaults(func=_list)

    show = commands.add_parser("show", help="show a key's address")
    show.add_argument("name")
    show.set_defaults(func=_show)

    export = commands.add_parser("export", help="print a key's encrypted keystore JSON")
    export.add_argument("name")
    export.set_defaults(func=_export)

    for parser in (add, imp, lst, show, export):
        add_home_arg(parser)
