"""``compiled``: numba's ``njit`` for the step's arithmetic loops, imported and compiled on first use.

numba keeps compiled loops next to the source (or in the user's cache folder) so
that a new process loads them instead of compiling again. On an install where
neither is writable (a read-only environment on a cluster node, say) numba
refuses ``cache=True``; there the loops are compiled once per process.

Importing numba takes about as long as importing gymnasium and numpy together,
so it waits for the first call of a compiled loop: importing coopgym and making
an environment do not pay for it (``tests/test_import_cost.py``). The first call
then rebinds the loop's name in its module to numba's dispatcher, so every later
call from that module goes straight to the compiled code.
"""
from __future__ import annotations

import functools
import sys


def compiled(fn):
    """``fn`` compiled by ``numba.njit(cache=True)`` (or ``numba.njit`` where numba finds no writable
    cache location) on its first call."""
    return _FirstCall(fn)


class _FirstCall:
    def __init__(self, fn):
        functools.update_wrapper(self, fn)
        self._fn, self._dispatcher = fn, None

    def __call__(self, *args):
        if self._dispatcher is None:
            self._dispatcher = _njit(self._fn)
            module = sys.modules.get(self._fn.__module__)
            if module is not None and getattr(module, self._fn.__name__, None) is self:
                setattr(module, self._fn.__name__, self._dispatcher)
        return self._dispatcher(*args)


def _njit(fn):
    import numba

    try:
        return numba.njit(cache=True)(fn)
    except RuntimeError as exc:
        if "no locator available" not in str(exc):
            raise
        return numba.njit(fn)
