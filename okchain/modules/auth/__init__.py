"""Auth: account nonces (replay protection)."""
