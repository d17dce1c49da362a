"""Unleash's murmur3 bucketing: the same identifier lands in the same bucket in every Unleash SDK."""

import mmh3

# Seed Unleash uses for variant bucketing (strategy bucketing uses seed 0).
VARIANT_SEED = 86028157


def normalized_hash(identifier: str, group_id: str, normalizer: int = 100, seed: int = 0) -> int:
    """Bucket `identifier` within `group_id` into 1..normalizer (murmur3 x86 32-bit, unsigned)."""
    return int(mmh3.hash(f"{group_id}:{identifier}", seed, signed=False)) % normalizer + 1
