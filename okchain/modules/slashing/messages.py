"""Slashing messages as domain types."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Unjail:
    """The signer's validator, jailed for downtime, asks to be ranked again (it returns at the next
    epoch)."""


SlashingMsg = Unjail
