"""Slashing: downtime jailing, double-sign tombstoning, unjail."""
