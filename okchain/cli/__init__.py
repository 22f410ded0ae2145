"""The ``okchaind`` command line."""
