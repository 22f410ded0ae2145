"""Storage: LevelDB (plyvel) with a memory twin, the key schema, cached branches and the block store."""
