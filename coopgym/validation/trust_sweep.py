"""The TR-2 suite's trust experiments (SPEC section 2's reported behaviour), re-run on coopgym's ``trust_update``.

The reference TR-2 suite (its "standard" granularity) sweeps lambda_plus
{.05, .08, .10, .12, .15}, lambda_minus {.15, .23, .30, .38, .45}, mu_R
{.50 .. .70}, delta_R {.01 .. .05}, xi {.3 .. .7} (5 values each) and
kappa {.5 .. 1.5}; kappa never enters its experiments (they feed fixed
signals tanh(x)), so the 3,125 distinct configurations below stand for its
15,625 (each repeated five times, which changes no median or mean). Each
experiment is one ordered pair (i's trust in j), dependency D_ij = .5 unless
stated:
- negativity ratio: lambda_minus / lambda_plus.
- hysteresis recovery (35 periods): from T .85, R 0, one violation
  (signal tanh(-3)) and 35 cooperative steps (tanh(2)); the highest trust
  reached over the violation and the 35 steps, / .85.
- cumulative damage amplification: trust lost from T .8, R 0 to four
  violations of tanh(-1) in a row, / trust lost to one of tanh(-4).
- dependency amplification: trust lost from T .8 (R .1) to one violation of
  tanh(-2) at D .8, / the same at D .2.
Here T is clipped to the ceiling 1 - R each step (SPEC section 2); the
reference clips to [0, 1] only, so trust above a freshly lowered ceiling
stays there until the ceiling rises (docs/reproducibility.md).
"""
from __future__ import annotations

from itertools import product

import numpy as np

from coopgym.mechanisms import trust as tr

GRID = {"lambda_plus": (0.05, 0.08, 0.10, 0.12, 0.15), "lambda_minus": (0.15, 0.23, 0.30, 0.38, 0.45),
        "mu_R": (0.50, 0.55, 0.60, 0.65, 0.70), "delta_R": (0.01, 0.02, 0.03, 0.04, 0.05),
        "xi": (0.30, 0.40, 0.50, 0.60, 0.70)}
COARSE = {"lambda_plus": (0.05, 0.10, 0.15), "lambda_minus": (0.15, 0.30, 0.45), "mu_R": (0.50, 0.60, 0.70),
          "delta_R": (0.01, 0.03, 0.05), "xi": (0.30, 0.50, 0.70)}


def _pair(D_ij: float) -> np.ndarray:
    return np.array([[0.0, D_ij], [0.0, 0.0]])


def _run(params: list[tr.TrustParams], T0: float, R0: float, signals, D_ij: float = 0.5) -> np.ndarray:
    """Trust T_01 (B, steps + 1) of every configuration, agent 1 sending ``signals`` one per step."""
    D = _pair(D_ij)
    rates = np.concatenate([tr.pair_rates(D, p) for p in params])          # (B, 4, 2, 2)
    B = len(params)
    T, R = np.zeros((B, 2, 2)), np.zeros((B, 2, 2))
    T[:, 0, 1], R[:, 0, 1] = T0, R0
    out = [T[:, 0, 1].copy()]
    for s in signals:
        T, R = tr.trust_update(T, R, np.tile([0.0, s], (B, 1)), D, params[0], rates=rates)
        out.append(T[:, 0, 1].copy())
    return np.stack(out, axis=1)


def run(quick: bool = False) -> dict:
    """Median / mean / range of the four TR-2 measures over the suite's grid (its coarse grid if ``quick``)."""
    grid = COARSE if quick else GRID
    combos = list(product(*grid.values()))
    params = [tr.TrustParams(lp, lm, mu, dR, xi) for lp, lm, mu, dR, xi in combos]
    lp, lm = (np.array([c[k] for c in combos]) for k in (0, 1))
    hysteresis = _run(params, 0.85, 0.0, [np.tanh(-3.0)] + [np.tanh(2.0)] * 35)[:, 1:].max(axis=1) / 0.85
    single = 0.8 - _run(params, 0.8, 0.0, [np.tanh(-4.0)])[:, -1]
    repeated = 0.8 - _run(params, 0.8, 0.0, [np.tanh(-1.0)] * 4)[:, -1]
    high = 0.8 - _run(params, 0.8, 0.1, [np.tanh(-2.0)], D_ij=0.8)[:, -1]
    low = 0.8 - _run(params, 0.8, 0.1, [np.tanh(-2.0)], D_ij=0.2)[:, -1]
    measures = {"negativity_ratio": lm / lp, "hysteresis_recovery": hysteresis,
                "cumulative_amplification": repeated / single, "dependency_amplification": high / low}
    out = {"configurations": len(combos)}
    for name, x in measures.items():
        out.update({f"{name}_median": float(np.median(x)), f"{name}_mean": float(np.mean(x)),
                    f"{name}_min": float(np.min(x)), f"{name}_max": float(np.max(x))})
    return out
