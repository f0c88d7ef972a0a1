"""Robust aggregates with stratified bootstrap confidence intervals (Agarwal et al., NeurIPS 2021):
IQM, performance profiles and the probability of improvement.

We do not call rliable: rliable 1.2 does not import with pandas 3 (it pins
arch < 8). This is the same estimator, vectorised in numpy: the interquartile
mean (IQM) is ``scipy.stats.trim_mean(x, 0.25)`` on all runs pooled, and the
stratified bootstrap resamples runs with replacement *within* each stratum
(task/environment), keeping every stratum's size, then takes percentile
intervals (rliable's default ``method="percentile"``; numpy's linear
interpolation, as arch uses). All replicates are drawn in one array per
stratum, which makes it several times faster than rliable's Python loop.

Layouts: ``strata`` is a list of 1-D score arrays, one per task (environment),
or rliable's (runs x tasks) matrix.
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


def mean_intervals(matrix, reps: int = 2000, confidence: float = 0.95,
                   seed: int | np.random.Generator = 0) -> list[tuple[float, float, float] | None]:
    """(mean, lower, upper) of each column of ``matrix`` (runs x columns) from one set of bootstrap
    resamples of the runs (rows); a column with a NaN gets None. A column alone gives the same interval
    as ``interval(column, "mean", reps, confidence, seed)``."""
    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2 or m.shape[0] == 0:
        raise ValueError(f"expected a (runs x columns) matrix with at least one run, got shape {m.shape}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    idx = rng.integers(0, m.shape[0], size=(reps, m.shape[0]))
    boots = m[idx].mean(axis=1)                                   # (reps, columns)
    alpha = 100 * (1 - confidence) / 2
    lo, hi = np.percentile(boots, [alpha, 100 - alpha], axis=0)
    point = m.mean(axis=0)
    return [None if np.isnan(point[j]) else (float(point[j]), float(lo[j]), float(hi[j]))
            for j in range(m.shape[1])]


def performance_profile(strata, taus, reps: int = 2000, confidence: float = 0.95,
                        seed: int | np.random.Generator = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score distribution (rliable's run-score performance profile) at each threshold tau: the mean over
    tasks of the fraction of the task's runs with score > tau, and its stratified bootstrap interval.
    Returns (profile, lower, upper), each of len(taus)."""
    groups = _strata(strata)
    taus = np.asarray(taus, dtype=float)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    point = np.mean([(g[:, None] > taus).mean(axis=0) for g in groups], axis=0)
    boots = np.zeros((reps, taus.size))
    for g in groups:
        chunk = max(1, _MAX_CELLS // max(1, g.size * taus.size))
        for start in range(0, reps, chunk):
            k = min(chunk, reps - start)
            sample = g[rng.integers(0, g.size, size=(k, g.size))]
            boots[start:start + k] += (sample[:, :, None] > taus).mean(axis=1)
    boots /= len(groups)
    alpha = 100 * (1 - confidence) / 2
    lo, hi = np.percentile(boots, [alpha, 100 - alpha], axis=0)
    return point, lo, hi


def probability_of_improvement(x_strata, y_strata, reps: int = 2000, confidence: float = 0.95,
                               seed: int | np.random.Generator = 0) -> tuple[float, float, float]:
    """P(X > Y) of Agarwal et al. (2021): the mean over tasks m of P(X_m > Y_m), with
    P(X_m > Y_m) = 1/(N K) sum_i sum_j S(x_i, y_j), S = 1 if x_i > y_j, 1/2 if equal, 0 otherwise
    (the Mann-Whitney U statistic over N K). Stratified bootstrap: X's and Y's runs are resampled
    independently within each task. Both need the same tasks, in the same order."""
    xs, ys = _strata(x_strata), _strata(y_strata)
    if len(xs) != len(ys):
        raise ValueError(f"X and Y must have the same tasks: got {len(xs)} and {len(ys)} strata")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    def p_greater(x, y):  # x (..., N), y (..., K) -> (...)
        d = x[..., :, None] - y[..., None, :]
        return ((d > 0) + 0.5 * (d == 0)).mean(axis=(-2, -1))

    point = float(np.mean([p_greater(x, y) for x, y in zip(xs, ys)]))
    boots = np.zeros(reps)
    for x, y in zip(xs, ys):
        chunk = max(1, _MAX_CELLS // max(1, x.size * y.size))
        for start in range(0, reps, chunk):
            k = min(chunk, reps - start)
            boots[start:start + k] += p_greater(x[rng.integers(0, x.size, size=(k, x.size))],
                                                y[rng.integers(0, y.size, size=(k, y.size))])
    boots /= len(xs)
    alpha = 100 * (1 - confidence) / 2
    lo, hi = np.percentile(boots, [alpha, 100 - alpha])
    return point, float(lo), float(hi)


#: the best reference must beat the random policy by this share of the larger of their absolute values
#: for a normalised scale (and by more than ``MIN_SPAN_ABS``)
MIN_SPAN = 0.01
MIN_SPAN_ABS = 1e-9


def scale_problem(low: float, high: float) -> str | None:
    """Why (low, high) is no usable normalised scale, or None when it is: the span high - low must be
    finite and exceed both ``MIN_SPAN`` x max(|low|, |high|) and ``MIN_SPAN_ABS``. With a span near zero
    (or negative) the scale would blow differences up or flip their sign."""
    span = high - low
    if not math.isfinite(span):
        return "the references are not finite"
    if span <= 0:
        return "the best reference does not beat the random policy"
    if span <= MIN_SPAN_ABS or span < MIN_SPAN * max(abs(low), abs(high)):
        return f"the best reference beats the random policy by less than {MIN_SPAN:.0%}"
    return None


def normalised(score: float, low: float, high: float) -> float | None:
    """(score - low) / (high - low): 0 at ``low`` (the random policy), 1 at ``high`` (the best reference
    policy); None when :func:`scale_problem` finds the span degenerate."""
    if scale_problem(low, high) is not None:
        return None
    return (score - low) / (high - low)


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
