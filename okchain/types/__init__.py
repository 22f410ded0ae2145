"""Domain types shared by every layer: transactions, blocks, chain parameters."""
