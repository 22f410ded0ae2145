"""Deterministic simulator for the consensus machine: seeded network, clock and faults (see simulator.py)."""
