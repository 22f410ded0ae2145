"""okchain: a proof-of-stake chain node whose native token OKT starts as a 1:1 image of OKB."""

__version__ = "0.1.0"
