"""Deterministic simulator for the consensus machine: a seeded network and clock (network.py), faults
(faults.py), invariants (checker.py), the run itself (simulator.py)."""
