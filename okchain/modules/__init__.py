"""Chain modules: each a pure state transition over the store, reached only through ``okchain.app``."""
