"""The client's trust root and what it verified since (see ``okchain.client.verify``)."""

import bisect
import os
from dataclasses import dataclass, field

from okchain.client.errors import VerifyError
from okchain.genesis.document import load_genesis
from okchain.types.light import LightBlock, Trusted, genesis_root


@dataclass(slots=True)
class TrustStore:
    """The chain id, the trust root and every height verified since (ascending), each with the set that
    signs the height after it: a later verification starts from the closest one below."""

    chain_id: str
    trusted: list[Trusted] = field(default_factory=list)
    app_hashes: dict[int, bytes] = field(default_factory=dict)  # verified header height → its app hash

    @classmethod
    def from_genesis(cls, path: str | os.PathLike[str]) -> "TrustStore":
        """Trust the validators of the chain's genesis file (what ``okchaind init`` or the operator gave)."""
        g = load_genesis(path).header
        root = genesis_root(g.initial_height, [(v.pub_key, v.power) for v in g.validators])
        return cls(g.chain_id, [root])

    def start_below(self, height: int) -> Trusted:
        """The highest trusted height below ``height``."""
        i = bisect.bisect_left([t.height for t in self.trusted], height)
        if i == 0:
            raise VerifyError(
                f"height {height} is not above the trust root (height {self.trusted[0].height})"
            )
        return self.trusted[i - 1]

    def add(self, block: LightBlock) -> None:
        heights = [t.height for t in self.trusted]
        h = block.header.height
        if h not in heights:
            self.trusted.insert(bisect.bisect_left(heights, h), Trusted(h, tuple(block.next_validators)))
        self.app_hashes[h] = block.header.app_hash
