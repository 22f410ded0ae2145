"""The chaos runner (``scripts/chaos``): a localnet of real nodes under load and faults, then its checks."""
