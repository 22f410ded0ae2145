"""Bank: balances, supply, transfer and multi-send."""
