"""The application: the only door between consensus and the modules, shaped like ABCI 2.0.

``application.py`` holds the door itself; ``checks.py`` the stateless rules a proposed block must meet;
``genesis.py`` the chain's first write; ``hooks.py`` the module hooks that open and close every block.
"""

from okchain.app.application import AppError, Application, FinalizedBlock, Proposal
from okchain.app.genesis import genesis_marker

__all__ = ["AppError", "Application", "FinalizedBlock", "Proposal", "genesis_marker"]
