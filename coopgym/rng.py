"""Counter-based random numbers, one independent stream per game in a batch.

A batch of N games must reproduce N single games with the same seeds, draw for
draw. numpy's Generators are sequential objects, one per stream, which would
put a Python loop over N into every step; a counter-based generator gives
each game its draws as a pure function of (key, step, stream), computed for
the whole batch in one vectorised call. We use the SplitMix64 finaliser
(Steele, Lea & Flood 2014), a few lines of integer arithmetic that numpy has
no public vectorised equivalent of.
"""
from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser of uint64 values (bijective, well mixed)."""
    z = np.asarray(x, dtype=np.uint64) + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def seed_keys(seed: int, count: int = 1) -> np.ndarray:
    """Keys of games seeded with seed, seed + 1, ..., seed + count - 1 (Gymnasium's vector convention)."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return mix(np.arange(count, dtype=np.uint64) + np.uint64(seed))


def random_keys(count: int = 1) -> np.ndarray:
    """Fresh keys from the operating system's entropy."""
    return np.random.SeedSequence().generate_state(count, dtype=np.uint64)


def next_keys(keys: np.ndarray) -> np.ndarray:
    """Keys of the next episode of each game (an unseeded reset continues the stream)."""
    return mix(keys ^ np.uint64(0xD1B54A32D192ED03))


def uniform(keys: np.ndarray, counter: np.ndarray, stream: int, shape: tuple[int, ...] = ()) -> np.ndarray:
    """Uniform [0, 1) draws of shape (B, *shape): a pure function of (key, counter, stream, index)."""
    keys = np.asarray(keys, dtype=np.uint64)
    base = mix(keys ^ mix(np.asarray(counter, dtype=np.uint64) * np.uint64(0x100000001B3) + np.uint64(stream)))
    size = int(np.prod(shape)) if shape else 1
    idx = np.arange(size, dtype=np.uint64)
    bits = mix(base[:, None] + idx[None, :] * _GOLDEN)
    out = (bits >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
    return out.reshape((keys.shape[0], *shape)) if shape else out[:, 0]
