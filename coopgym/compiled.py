"""``compiled``: numba's ``njit`` for the step's arithmetic loops, cached on disk where it can be.

numba keeps compiled loops next to the source (or in the user's cache folder) so
that a new process loads them instead of compiling again. On an install where
neither is writable (a read-only environment on a cluster node, say) numba
refuses ``cache=True`` at import; there the loops are compiled once per process.
"""
from __future__ import annotations

import numba


def compiled(fn):
    """``numba.njit(cache=True)(fn)``, or ``numba.njit(fn)`` when numba finds no writable cache location."""
    try:
        return numba.njit(cache=True)(fn)
    except RuntimeError as exc:
        if "no locator available" not in str(exc):
            raise
        return numba.njit(fn)
