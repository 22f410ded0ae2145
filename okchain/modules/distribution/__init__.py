"""Distribution: each block's fees and mint paid to the community pool, validators' commission and voters."""
