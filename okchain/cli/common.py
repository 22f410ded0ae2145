"""Options every ``okchaind`` command group shares: the home directory and how to get a password."""

import argparse
import getpass
import os
from collections.abc import Callable
from pathlib import Path

from okchain.crypto.address import Address, parse_address
from okchain.errors import OKChainError

HOME_ENV = "OKCHAIN_HOME"
PASSWORD_ENV = "OKCHAIN_PASSWORD"


class CLIError(OKChainError):
    """A command-line usage problem: a missing file, mismatched input, a flag that needs another."""


def default_home() -> Path:
    """``$OKCHAIN_HOME`` if set, else ``~/.okchain``."""
    env = os.environ.get(HOME_ENV)
    return Path(env) if env else Path.home() / ".okchain"


def add_home_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--home",
        type=Path,
        default=default_home(),
        help=f"node home directory (default: ${HOME_ENV} or ~/.okchain, now %(default)s)",
    )


def add_password_file_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-file",
        type=Path,
        default=None,
        help=f"read the key password from the first line of this file (else ${PASSWORD_ENV}, else a prompt)",
    )


def read_password_file(path: Path) -> str:
    """First line without its newline, as geth reads ``--password``; the rest of the file is ignored."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CLIError(f"cannot read password file {path}: {exc.strerror}") from None
    lines = text.splitlines()
    return lines[0] if lines else ""


def read_password(args: argparse.Namespace, prompt: str, *, confirm: bool = False) -> str:
    """``--password-file``, else ``$OKCHAIN_PASSWORD``, else ask on the terminal (twice if ``confirm``)."""
    path: Path | None = getattr(args, "password_file", None)
    if path is not None:
        return read_password_file(path)
    env = os.environ.get(PASSWORD_ENV)
    if env is not None:
        return env
    password = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat the password: ") != password:
        raise CLIError("the two passwords differ")
    return password


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type for integers in [low, high] (protobuf fields are uint32/uint64)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low}..{high}")
        return value

    return parse


UINT64 = bounded_int(0, 2**64 - 1)
POSITIVE = bounded_int(1, 2**63 - 1)


def positive_seconds(text: str) -> float:
    """An argparse type for a timeout: more than 0 and at most a day."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(f"{text} s is outside (0, 86400]")
    return value


def address_arg(text: str) -> Address:
    """An address as a person types it (0x EIP-55 or bech32 ok1), or a CLI error saying why not."""
    try:
        return parse_address(text)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
