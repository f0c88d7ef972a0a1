"""TR-4 sequential interaction and reciprocity (SPEC section 4), batch-first.

Agent i reciprocates what agent j did *relative to j's recent record*:
the deviation s_ij = a_j(t) - abar_j(t) from j's k-period memory mean, passed
through the bounded response phi(x) = tanh(kappa x) and weighted by trust,
dependency and the structural sensitivity rho_ij = rho0 * D_ij ** eta.

Shapes: actions, baselines, endowments and sigma are (..., n); trust T and
dependency D are (..., n, n) (row i = observer, column j = observed, zero
diagonal). Scalar parameters (rho0, eta, kappa, lambda_R, omega, k, alpha_r,
delta) are floats or arrays of the batch shape (...). The deviation of agent j
is the same for every observer, so s is (..., n); a full (..., n, n) pair
deviation is accepted too.

Scales. U_recip normalises each deviation by sigma_j (as in TR-2; default
e_j / 10). The cooperation-evolution rule, as SPEC writes it, takes the raw
deviation: ``evolution_step`` has sigma = 1 by default, which is exact when
actions are measured as fractions of the endowment (the scale of the TR-4
report's experiments and its Apple case).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from coopgym.mechanisms.trust import TrustParams, signal_gain, trust_signal, trust_update

ALPHA_R = 0.12
DELTA = 0.05


def _v(x) -> np.ndarray:
    """Batch-shaped parameter -> (..., 1), against (..., n) vectors."""
    return np.asarray(x, dtype=float)[..., None]


def _m(x) -> np.ndarray:
    """Batch-shaped parameter -> (..., 1, 1), against (..., n, n) matrices."""
    return np.asarray(x, dtype=float)[..., None, None]


def push_history(history: np.ndarray, count, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Write action vector a (..., n) into the ring buffer history (..., K, n) at row count % K.

    Returns (new history, count + 1); the input buffer is not modified.
    """
    count = np.asarray(count)
    K = history.shape[-2]
    if count.size and np.all(count == count.flat[0]):      # the same row for the whole batch: write a copy
        out = np.array(np.broadcast_to(history, np.broadcast_shapes(history.shape, a.shape[:-1] + (K, a.shape[-1]))))
        out[..., int(count.flat[0]) % K, :] = a
        return out, count + 1
    row = np.arange(K) == (count % K)[..., None]
    return np.where(row[..., None], a[..., None, :], history), count + 1


def memory_mean(history: np.ndarray, count, k=None, fallback=None) -> np.ndarray:
    """abar_j = mean of agent j's last min(k, count) actions in the ring buffer (..., K, n).

    ``count`` (...) is how many actions were pushed so far (the t-th action,
    t = 0, 1, ..., sits at row t % K); ``k`` (...) is the memory window, at
    most K (default K). Where nothing has been pushed yet the result is
    ``fallback`` (default NaN): there is no record to deviate from.
    """
    K = history.shape[-2]
    count = np.asarray(count)
    k = np.full(count.shape, K) if k is None else np.asarray(k)
    if np.any(k < 1) or np.any(k > K):
        raise ValueError(f"memory window k must be in [1, {K}] (the buffer length), got {np.unique(k).tolist()}")
    window = np.minimum(k, count)
    age = (count[..., None] - 1 - np.arange(K)) % K          # 0 = the latest action
    valid = age < window[..., None]                           # (..., K)
    total = np.einsum("...k,...kn->...n", valid.astype(float), history)
    w = window[..., None].astype(float)
    abar = np.divide(total, w, out=np.full(np.broadcast(total, w).shape, np.nan), where=w > 0)
    if fallback is not None:
        abar = np.where(w > 0, abar, fallback)
    return abar


def deviation(a: np.ndarray, abar: np.ndarray) -> np.ndarray:
    """s_j = a_j(t) - abar_j(t): what agent j's action says to every observer i. Shape (..., n)."""
    return a - abar


def bounded_response(x, kappa) -> np.ndarray:
    """phi(x) = tanh(kappa * x), in (-1, 1). ``kappa`` broadcasts against x."""
    return np.tanh(kappa * x)


def sensitivity(D: np.ndarray, rho0, eta) -> np.ndarray:
    """rho_ij = rho0 * D_ij ** eta; 0 on the diagonal and wherever D_ij = 0. Shape (..., n, n)."""
    D = np.asarray(D, dtype=float)
    off = ~np.eye(D.shape[-1], dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = _m(rho0) * np.power(np.maximum(D, 0.0), _m(eta))
    return np.where(off & (D > 0), rho, 0.0)


def reciprocity_weights(T, D, rho0, eta, lambda_R, omega) -> np.ndarray:
    """W_ij = lambda_R * T_ij * (1 + omega * D_ij) * rho_ij: how strongly i answers j. Shape (..., n, n)."""
    return _m(lambda_R) * T * (1.0 + _m(omega) * D) * sensitivity(D, rho0, eta)


def reciprocity_utility(s, T, D, rho0, eta, kappa, lambda_R, omega, sigma) -> np.ndarray:
    """U_recip,i = lambda_R * sum_j T_ij (1 + omega D_ij) rho_ij phi(s_ij / sigma_j)   (TR-4 Eq 44-45).

    ``s`` is the deviation per observed agent (..., n) or per pair (..., n, n),
    told apart by comparing its rank with T's (as in ``trust_update``);
    ``sigma`` (..., n) the per-agent scale (SPEC: as TR-2, default e_j / 10).
    |U_recip,i| <= sum_j W_ij since |phi| < 1. Shape (..., n).
    """
    x = np.asarray(s, dtype=float) / sigma
    if x.ndim == np.ndim(T) - 1:
        x = x[..., None, :]
    phi = bounded_response(x, _m(kappa))
    return (reciprocity_weights(T, D, rho0, eta, lambda_R, omega) * phi).sum(axis=-1)


def evolution_step(a, s, baseline, T, D, rho0, eta, kappa, lambda_R, omega, e,
                   alpha_r=ALPHA_R, delta=DELTA, sigma=1.0) -> np.ndarray:
    """Cooperation evolution (the bounded-reciprocity rule):

    a_i(t+1) = clip(a_i(t) + alpha_r * sum_j lambda_R T_ij (1 + omega D_ij) rho_ij phi(s_ij / sigma_j)
                    - delta * (a_i(t) - b_i), 0, e_i)

    SPEC writes phi(s_ij): sigma = 1 (the default) is that rule exactly.
    """
    push = reciprocity_utility(s, T, D, rho0, eta, kappa, lambda_R, omega, sigma)
    return _evolve(a, push, baseline, e, alpha_r, delta)


def _evolve(a, push, baseline, e, alpha_r, delta) -> np.ndarray:
    """clip(a + alpha_r * push - delta * (a - b), 0, e)."""
    return np.clip(a + _v(alpha_r) * push - _v(delta) * (a - baseline), 0.0, e)


class Trajectory(NamedTuple):
    actions: np.ndarray      # (..., steps + 1, n): a(0) ... a(steps), after forcing and shocks
    reciprocity: np.ndarray  # (..., steps, n): sum_j W_ij phi(s_ij / sigma_j) driving each step
    bound: np.ndarray        # (..., steps, n): sum_j W_ij, the bound on |reciprocity|
    trust: np.ndarray        # (..., n, n) final trust, or (..., steps + 1, n, n) with record_trust
    reputation: np.ndarray   # (..., n, n) final reputation damage R


def _at(x, t: int, shape) -> np.ndarray | None:
    """Row t of an optional (..., steps + 1, n) schedule, broadcast to the state shape."""
    if x is None:
        return None
    return np.broadcast_to(np.asarray(x, dtype=float)[..., t, :], shape)


def simulate(a0, baseline, e, D, T0, rho0, eta, kappa, k, lambda_R, omega, steps: int, *,
             forced=None, shocks=None, trust: TrustParams | None = None, R0=0.0, trust_sigma=None,
             sigma=1.0, alpha_r=ALPHA_R, delta=DELTA, k_max: int | None = None,
             record_trust: bool = False) -> Trajectory:
    """Run the cooperation-evolution rule for ``steps`` steps on a whole batch at once.

    At each step t = 0, 1, ...: scripted actions (finite entries of ``forced``
    (..., steps + 1, n)) replace the rule's, exogenous ``shocks`` (same shape)
    are added (then clipped to [0, e]); s = a(t) - abar(t) over the last
    min(k, t) actions (s = 0 at t = 0); a(t + 1) follows ``evolution_step``
    with the current trust; then, if ``trust`` (TR-2 parameters) is given,
    T and R take a TR-2 step on the signal tanh(kappa_T (a_j - b_j) / trust_sigma_j)
    (trust_sigma default e / 10). Without ``trust``, T stays T0.
    T0, R0 are (..., n, n) (or broadcastable); k is batch-shaped, at most
    ``k_max`` (the buffer length, default max k).
    """
    a = np.asarray(a0, dtype=float)
    b = np.asarray(baseline, dtype=float)
    D = np.asarray(D, dtype=float)
    k = np.asarray(k)
    batch = np.broadcast_shapes(a.shape[:-1], b.shape[:-1], np.shape(e)[:-1], D.shape[:-2], np.shape(T0)[:-2],
                                np.shape(forced)[:-2], np.shape(shocks)[:-2], k.shape,
                                *(np.shape(p) for p in (rho0, eta, kappa, lambda_R, omega)))
    n = D.shape[-1]
    vec, mat = batch + (n,), batch + (n, n)
    e_v = np.broadcast_to(np.asarray(e, dtype=float), vec)
    a = np.broadcast_to(a, vec).astype(float)
    T = np.broadcast_to(np.asarray(T0, dtype=float), mat).astype(float)
    R = np.broadcast_to(np.asarray(R0, dtype=float), mat).astype(float)
    k = np.broadcast_to(k, batch)
    K = int(k_max if k_max is not None else max(int(k.max(initial=1)), 1))
    history = np.zeros(batch + (K, n))
    count = np.zeros(batch, dtype=np.int64)
    t_sigma = e_v / 10.0 if trust_sigma is None else trust_sigma
    actions, recips, bounds, trusts = [], [], [], [T]
    for t in range(steps + 1):
        f = _at(forced, t, vec)
        if f is not None:
            a = np.where(np.isfinite(f), f, a)
        sh = _at(shocks, t, vec)
        if sh is not None:
            a = np.clip(a + sh, 0.0, e_v)
        actions.append(a)
        if t == steps:
            break
        s = deviation(a, memory_mean(history, count, k, fallback=a))
        recip = reciprocity_utility(s, T, D, rho0, eta, kappa, lambda_R, omega, sigma)
        recips.append(recip)
        bounds.append(reciprocity_weights(T, D, rho0, eta, lambda_R, omega).sum(axis=-1))
        a_next = _evolve(a, recip, b, e_v, alpha_r, delta)
        if trust is not None:
            T, R = trust_update(T, R, trust_signal(a, b, signal_gain(trust.kappa, t_sigma)), D, trust)
        if record_trust:
            trusts.append(T)
        history, count = push_history(history, count, a)
        a = a_next
    return Trajectory(np.stack(actions, axis=-2), np.stack(recips, axis=-2), np.stack(bounds, axis=-2),
                      np.stack(trusts, axis=-3) if record_trust else T, R)
