"""Staking: validators (supernodes), OKT deposits, votes with weighted shares, proxies and unbonding."""
