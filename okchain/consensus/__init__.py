"""Consensus: decides blocks. The node drives an engine; engines know nothing about modules."""
