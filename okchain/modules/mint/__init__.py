"""Mint: the OKT every block creates for the validators and voters, halving on a fixed schedule of blocks."""
