"""Helpers shared by tests and benchmarks (``scripts/bench``): chains, genesis documents, node processes and
peers to talk to. Tests and benchmarks import them from here; ``tests/conftest.py`` holds fixtures only."""
