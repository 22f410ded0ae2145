"""Transactions: the signed envelope and the registry of every module's messages, their codecs and gas.

This room sits above the modules and gathers their tables, so the types below know no module.
"""
