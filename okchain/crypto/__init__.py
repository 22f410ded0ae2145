"""Account keys (secp256k1, Ethereum-compatible) and validator keys (ed25519)."""
