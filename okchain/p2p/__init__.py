"""Peer-to-peer networking: encrypted authenticated connections, multiplexed channels, peers, PEX."""
