"""Robust aggregates with stratified bootstrap confidence intervals (Agarwal et al., NeurIPS 2021).

We do not call rliable: rliable 1.2 does not import with pandas 3 (it pins
arch < 8). This is the same estimator, vectorised in numpy: the interquartile
mean (IQM) is ``scipy.stats.trim_mean(x, 0.25)`` on all runs pooled, and the
stratified bootstrap resamples runs with replacement *within* each stratum
(task/environment), keeping every stratum's size, then takes percentile
intervals (rliable's default ``method="percentile"``; numpy's linear
interpolation, as arch uses). All replicates are drawn in one array per
stratum, which makes it several times faster than rliable's Python loop.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
from scipy import stats as _st

_MAX_CELLS = 20_000_000  # replicates x runs per chunk: bounds memory to ~160 MB of float64


def iqm(x, axis: int = -1):
    """Interquartile mean: the mean of the middle 50 % (25 % trimmed from each end, as trim_mean cuts)."""
    return _st.trim_mean(np.asarray(x, dtype=float), 0.25, axis=axis)


def mean(x, axis: int = -1):
    return np.mean(np.asarray(x, dtype=float), axis=axis)


def median(x, axis: int = -1):
    return np.median(np.asarray(x, dtype=float), axis=axis)


AGGREGATES: dict[str, Callable] = {"mean": mean, "iqm": iqm, "median": median}


def _strata(strata) -> list[np.ndarray]:
    """Strata as flat arrays: a 2-D array is (runs x tasks), one stratum per column (rliable's layout);
    a flat sequence is one stratum."""
    if isinstance(strata, np.ndarray):
        strata = list(strata.T) if strata.ndim == 2 else [strata]
    elif len(strata) and np.isscalar(strata[0]):
        strata = [strata]
    out = [np.asarray(s, dtype=float).ravel() for s in strata]
    out = [s for s in out if s.size]
    if not out:
        raise ValueError("no scores to aggregate (every stratum is empty)")
    if not all(np.isfinite(s).all() for s in out):
        raise ValueError("scores must be finite (drop failed runs before aggregating)")
    return out


def bootstrap_replicates(strata, stats: Sequence[str | Callable] = ("iqm",), reps: int = 2000,
                         seed: int | np.random.Generator = 0) -> np.ndarray:
    """Array (len(stats), reps): each statistic on the same ``reps`` stratified resamples
    (runs resampled with replacement within each stratum, every stratum keeping its size)."""
    fns = [AGGREGATES[s] if isinstance(s, str) else s for s in stats]
    groups = _strata(strata)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    total = sum(g.size for g in groups)
    chunk = max(1, _MAX_CELLS // total)
    out = np.empty((len(fns), reps))
    for start in range(0, reps, chunk):
        k = min(chunk, reps - start)
        sample = np.concatenate([g[rng.integers(0, g.size, size=(k, g.size))] for g in groups], axis=1)
        for i, fn in enumerate(fns):
            out[i, start:start + k] = fn(sample, axis=1)
    return out


def intervals(strata, stats: Sequence[str | Callable] = ("mean", "iqm"), reps: int = 2000,
              confidence: float = 0.95, seed: int | np.random.Generator = 0) -> dict:
    """{stat: (point, lower, upper)}: each statistic of the pooled runs and its percentile interval,
    all from one set of stratified resamples."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    groups = _strata(strata)
    pooled = np.concatenate(groups)[None, :]
    boots = bootstrap_replicates(groups, stats, reps, seed)
    alpha = (1 - confidence) / 2
    out = {}
    for stat, values in zip(stats, boots):
        fn = AGGREGATES[stat] if isinstance(stat, str) else stat
        lo, hi = np.percentile(values, [100 * alpha, 100 * (1 - alpha)])
        out[stat if isinstance(stat, str) else getattr(stat, "__name__", str(stat))] = (
            float(fn(pooled, axis=1)[0]), float(lo), float(hi))
    return out


def interval(strata, stat: str | Callable = "iqm", reps: int = 2000, confidence: float = 0.95,
             seed: int | np.random.Generator = 0) -> tuple[float, float, float]:
    """(point estimate, lower, upper) of one statistic with its stratified bootstrap interval."""
    return next(iter(intervals(strata, (stat,), reps, confidence, seed).values()))


#: the equilibrium must beat the random policy by this share of |R_oracle| for a normalised scale
MIN_SPAN = 0.01


def normalised(score: float, random_score: float, oracle_score: float) -> float | None:
    """(score - random) / (oracle - random): 0 at the random policy, 1 at the equilibrium oracle.

    None unless the oracle beats random by at least ``MIN_SPAN`` x |oracle|: with a span near
    zero (or negative) the scale would blow differences up or flip their sign.
    """
    span = oracle_score - random_score
    if not math.isfinite(span) or span < MIN_SPAN * abs(oracle_score):
        return None
    return (score - random_score) / span


def gap_percent(score: float, oracle_score: float) -> float | None:
    """Gap to the oracle in percent, (R - R_oracle) / |R_oracle| x 100 (SPEC section 8)."""
    if oracle_score is None or not math.isfinite(oracle_score) or oracle_score == 0:
        return None
    return (score - oracle_score) / abs(oracle_score) * 100.0


def ranks(values: Sequence[float | None], higher_is_better: bool = True) -> list[int | None]:
    """Competition ranks (1, 2, 2, 4); None values get no rank."""
    idx = [i for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    out: list[int | None] = [None] * len(values)
    if idx:
        keyed = np.array([values[i] for i in idx], dtype=float)
        r = _st.rankdata(-keyed if higher_is_better else keyed, method="min")
        for i, rank in zip(idx, r):
            out[i] = int(rank)
    return out
