"""TR-3 collective action and loyalty (SPEC section 3), batch-first.

Team production Q(a) = omega * (sum_i a_i) ** beta is shared equally; loyalty
theta_i in [0, 1] adds L_i = theta_i * (phi_B * mean_{j != i} pi_j + phi_C * c * a_i).

Shapes: per-agent arrays (efforts a, loyalty theta, the members mask, the team
dependency weights) are (..., n). Scalar parameters (omega, beta, c, phi_B,
phi_C, a_max, a team size n) are floats or arrays of the batch shape (...), so
one call evaluates many parameter configurations.

``members`` (optional boolean (..., n)): only members form the team. Q is the
output of the members' efforts, split among the m members; the mean over
j != i runs over the other members (0 in a team of one). A non-member earns
pi_i = -c * a_i and has no loyalty modifier (it has no team to be loyal to).
The mask also pads teams of different sizes into one batch.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

LOYALTY_START = 0.5
LOYALTY_GAIN = 0.02
LOYALTY_LOSS = 0.05
LOYALTY_PIVOT = 0.5
BISECT_RTOL = 1e-14
MAX_BISECTIONS = 1100  # enough to reach any positive float64 from the top of the box


def _b(x) -> np.ndarray:
    """A batch-shaped parameter with a trailing agent axis, to broadcast against (..., n)."""
    return np.asarray(x, dtype=float)[..., None]


def _team(a: np.ndarray, members) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(member mask (..., n), member count m (...), members' total effort S (...))."""
    if members is None:
        mask = np.ones(a.shape, dtype=bool)
    else:
        mask = np.broadcast_to(np.asarray(members, dtype=bool), a.shape)
    m = mask.sum(axis=-1).astype(float)
    S = np.where(mask, a, 0.0).sum(axis=-1)
    return mask, m, S


def _marginal(S, m, theta, omega, beta, c, phi_B, phi_C) -> np.ndarray:
    """A member's dU_i/da_i = (1 + phi_B theta_i [m > 1]) omega beta S^(beta-1) / m - c (1 - phi_C theta_i).

    S, m batch-shaped with a trailing axis that broadcasts against theta; the
    phi_B term is the derivative of mean_{j != i} pi_j, whose Q/m shares all
    move with a_i. At S = 0 the marginal product is +inf when beta < 1.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        mq = _b(omega) * _b(beta) * np.power(S, _b(beta) - 1.0) / np.maximum(m, 1.0)
    loyal = np.where(m > 1.0, _b(phi_B) * theta, 0.0)
    return (1.0 + loyal) * mq - _b(c) * (1.0 - _b(phi_C) * theta)


def team_output(a: np.ndarray, omega, beta, members=None) -> np.ndarray:
    """Q(a) = omega * (sum_{i in team} a_i) ** beta. Shape (...)."""
    _, _, S = _team(a, members)
    return np.asarray(omega, dtype=float) * np.power(S, beta)


def base_payoff(a: np.ndarray, omega, beta, c, members=None) -> np.ndarray:
    """pi_i = Q / m - c * a_i for members, -c * a_i for non-members. Shape (..., n)."""
    mask, m, S = _team(a, members)
    Q = np.asarray(omega, dtype=float) * np.power(S, beta)
    share = np.divide(Q, m, out=np.zeros(np.broadcast(Q, m).shape), where=m > 0)
    return np.where(mask, share[..., None], 0.0) - _b(c) * a


def loyalty_modifier(a, theta, omega, beta, c, phi_B, phi_C, members=None) -> np.ndarray:
    """L_i = theta_i * (phi_B * mean_{j != i, j in team} pi_j + phi_C * c * a_i); 0 for non-members."""
    mask, m, _ = _team(a, members)
    pi = base_payoff(a, omega, beta, c, members)
    others = np.where(mask, pi, 0.0).sum(axis=-1, keepdims=True) - pi
    k = _b(m) - 1.0
    mean_others = np.divide(others, k, out=np.zeros(np.broadcast(others, k).shape), where=k > 0)
    L = theta * (_b(phi_B) * mean_others + _b(phi_C) * _b(c) * a)
    return np.where(mask, L, 0.0)


def utility(a, theta, omega, beta, c, phi_B, phi_C, members=None) -> np.ndarray:
    """U_i = pi_i + L_i (the TR-3 utility that TR-3 environments pay). Shape (..., n)."""
    return base_payoff(a, omega, beta, c, members) + loyalty_modifier(a, theta, omega, beta, c, phi_B, phi_C, members)


def utility_grad(a, theta, omega, beta, c, phi_B, phi_C, members=None) -> np.ndarray:
    """dU_i/da_i = (1 + phi_B theta_i) omega beta S^(beta-1) / m - c (1 - phi_C theta_i); -c off the team."""
    mask, m, S = _team(a, members)
    g = _marginal(S[..., None], m[..., None], theta, omega, beta, c, phi_B, phi_C)
    return np.where(mask, g, -_b(c) * np.ones_like(a))


def cohesion(theta: np.ndarray, D_team: np.ndarray, members=None) -> np.ndarray:
    """C = sum_i D_Ti theta_i / sum_i D_Ti over the team (0 when no member depends on the team)."""
    w = np.asarray(D_team, dtype=float) * (1.0 if members is None else np.asarray(members, dtype=bool))
    w = np.broadcast_to(w, np.broadcast(w, theta).shape)
    total = w.sum(axis=-1)
    num = (w * theta).sum(axis=-1)
    return np.divide(num, total, out=np.zeros(total.shape), where=total > 0)


def loyalty_update(theta, a, e, cap=1.0, gain=LOYALTY_GAIN, loss=LOYALTY_LOSS, pivot=LOYALTY_PIVOT) -> np.ndarray:
    """Reference-platform loyalty dynamics with cooperation rate r = a_i / e_i:

    theta += gain * r if r >= pivot else theta -= loss * (pivot - r); then clip to [0, cap].
    ``e`` broadcasts against a; ``cap`` is a float or batch-shaped.
    """
    r = np.asarray(a, dtype=float) / e
    new = np.where(r >= pivot, theta + gain * r, theta - loss * (pivot - r))
    return np.clip(new, 0.0, _b(cap))


def loyalty_effort(theta, omega, beta, c, phi_B, phi_C, n, a_max) -> np.ndarray:
    """Closed-form symmetric equilibrium effort of n >= 2 agents who all have loyalty theta:

    a = (omega beta (1 + phi_B theta) / (c (1 - phi_C theta) n^(2 - beta))) ** (1 / (1 - beta)), clipped to [0, a_max].
    For beta = 1 (linear public good): a_max if (1 + phi_B theta) omega / n > c (1 - phi_C theta), else 0.
    Everything batch-shaped (no agent axis).
    """
    theta, omega, beta, c, phi_B, phi_C, n, a_max = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (theta, omega, beta, c, phi_B, phi_C, n, a_max)))
    benefit = omega * beta * (1.0 + phi_B * theta)
    cost = c * (1.0 - phi_C * theta)
    linear = np.where(benefit / n > cost, a_max, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_a = (np.log(benefit) - np.log(cost) - (2.0 - beta) * np.log(n)) / (1.0 - beta)
        interior = np.where(cost > 0, np.exp(log_a), np.inf)
    return np.where(beta >= 1.0, linear, np.clip(interior, 0.0, a_max))


def free_riding_effort(omega, beta, c, n, a_max) -> np.ndarray:
    """Free-riding Nash per agent (theta = 0): a* = (omega beta / (c n^(2 - beta))) ** (1 / (1 - beta)), clipped."""
    return loyalty_effort(0.0, omega, beta, c, 0.0, 0.0, n, a_max)


def social_optimum_effort(omega, beta, c, n, a_max) -> np.ndarray:
    """Per-agent effort maximising sum_i pi_i: (omega beta / c) ** (1 / (1 - beta)) / n, clipped.

    For beta = 1: a_max if omega > c, else 0.
    """
    omega, beta, c, n, a_max = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (omega, beta, c, n, a_max)))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        interior = np.exp((np.log(omega * beta) - np.log(c)) / (1.0 - beta)) / n
    return np.where(beta >= 1.0, np.where(omega > c, a_max, 0.0), np.clip(interior, 0.0, a_max))


class SymmetricEquilibrium(NamedTuple):
    effort: np.ndarray    # (...) every agent's effort
    residual: np.ndarray  # (...) projected first-order-condition residual |dU_i/da_i|


class Equilibrium(NamedTuple):
    actions: np.ndarray    # (..., n)
    residual: np.ndarray   # (..., n) projected FOC residual per agent
    iterations: int
    converged: np.ndarray  # (...) bool


def _bisect(h, lo, hi, rtol: float = BISECT_RTOL) -> np.ndarray:
    """The root in [lo, hi] of a decreasing function h, or the bound it pins to:
    hi if h(hi) > 0, lo if h(lo) <= 0 (so a flat marginal of 0 gives lo).
    Halves the brackets until each is within rtol of its upper end (relative
    precision, so tiny roots are found as precisely as large ones)."""
    h_lo, h_hi = h(lo), h(hi)
    pinned = (h_hi > 0) | (h_lo <= 0)
    a, b = lo, hi
    for _ in range(MAX_BISECTIONS):
        mid = 0.5 * (a + b)
        up = h(mid) > 0
        a, b = np.where(up, mid, a), np.where(up, b, mid)
        if np.all(pinned | (b - a <= rtol * b)):
            break
    return np.where(h_hi > 0, hi, np.where(h_lo <= 0, lo, 0.5 * (a + b)))


def _projected(g, a, a_max) -> np.ndarray:
    """FOC residual on the box [0, a_max]: |g| inside, the outward-pointing part at a bound."""
    return np.where(a <= 0.0, np.maximum(g, 0.0), np.where(a >= a_max, np.maximum(-g, 0.0), np.abs(g)))


def foc_residual(a, theta, omega, beta, c, phi_B, phi_C, a_max, members=None) -> np.ndarray:
    """Projected first-order-condition residual per agent (0 at an equilibrium). Shape (..., n)."""
    g = utility_grad(a, theta, omega, beta, c, phi_B, phi_C, members)
    return _projected(g, a, _b(a_max))


def symmetric_equilibrium(theta, omega, beta, c, phi_B, phi_C, n, a_max,
                          rtol: float = BISECT_RTOL) -> SymmetricEquilibrium:
    """Symmetric equilibrium of n identical agents with loyalty theta, all batch-shaped.

    Bisection on g(x) = dU_i/da_i at the profile (x, ..., x), which decreases in
    x (beta <= 1), over [0, a_max]; corners where g keeps its sign. U_i is
    concave in a_i, so the root is an equilibrium.
    """
    theta, omega, beta, c, phi_B, phi_C, n, a_max = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (theta, omega, beta, c, phi_B, phi_C, n, a_max)))

    def g(x):
        return _marginal((n * x)[..., None], n[..., None], theta[..., None], omega, beta, c, phi_B, phi_C)[..., 0]

    x = _bisect(g, np.zeros_like(a_max), a_max, rtol)
    return SymmetricEquilibrium(x, _projected(g(x), x, a_max))


def best_response(a, theta, omega, beta, c, phi_B, phi_C, a_max, members=None,
                  rtol: float = BISECT_RTOL) -> np.ndarray:
    """Each agent's best response to the others' efforts in a (..., n), by bisection on its FOC."""
    mask, m, S = _team(a, members)
    others = S[..., None] - np.where(mask, a, 0.0)
    hi = np.broadcast_to(_b(a_max), a.shape).astype(float)

    def h(x):
        return _marginal(others + x, m[..., None], theta, omega, beta, c, phi_B, phi_C)

    return np.where(mask, _bisect(h, np.zeros_like(hi), hi, rtol), 0.0)


def equilibrium(theta, omega, beta, c, phi_B, phi_C, a_max, members=None, a0=None, damping=None,
                max_iter: int = 500, tol: float = 1e-10, rtol: float = BISECT_RTOL) -> Equilibrium:
    """General equilibrium of the TR-3 game by damped best-response iteration (``theta`` is (..., n)).

    a <- a + lam * (BR(a) - a), every agent at once, BR by bisection on the
    agent's FOC. Default step sizes: lam = 1 / p for agents with an interior
    best response (p of them; a symmetric interior profile lands on the
    equilibrium in one step); an agent whose best response is a bound starts
    at lam = 1 / m and doubles lam (up to 1) while it keeps moving the same
    way, and drops back when it turns. Pass ``damping`` for a fixed lam.
    Starts from ``a0`` (default a_max / 2 for every member); stops when no
    effort moves by more than tol * max(a_i, 1e-6 a_max). With heterogeneous
    loyalty the equilibrium is a corner: only the agents with the highest
    (1 + phi_B theta) / (1 - phi_C theta) contribute below a_max; near-ties
    converge slowly (watch ``residual`` and ``converged``).
    """
    theta = np.asarray(theta, dtype=float)
    shape = np.broadcast_shapes(theta.shape, (1,) if members is None else np.shape(members),
                                *(np.shape(p) + (1,) for p in (omega, beta, c, phi_B, phi_C, a_max)))
    a_max_v = np.broadcast_to(_b(a_max), shape)
    mask = np.ones(shape, dtype=bool) if members is None else np.broadcast_to(np.asarray(members, dtype=bool), shape)
    m = np.maximum(mask.sum(axis=-1, keepdims=True), 1)
    a = np.where(mask, 0.5 * a_max_v if a0 is None else np.broadcast_to(a0, shape), 0.0).astype(float)
    lam_bound = np.broadcast_to(1.0 / m, shape).astype(float)
    prev = np.zeros(shape)
    converged = np.zeros(shape[:-1], dtype=bool)
    it = 0
    for it in range(1, max_iter + 1):
        br = best_response(a, theta, omega, beta, c, phi_B, phi_C, a_max, mask, rtol)
        if damping is None:
            bound = (br <= 0.0) | (br >= a_max_v)
            interior = (mask & ~bound).sum(axis=-1, keepdims=True)
            persistent = bound & (np.sign(br - a) == np.sign(prev))
            lam_bound = np.where(persistent, np.minimum(2.0 * lam_bound, 1.0), 1.0 / m)
            lam = np.where(bound, lam_bound, 1.0 / np.maximum(interior, 1))
        else:
            lam = damping
        step = np.where(mask, lam * (br - a), 0.0)
        a = a + step
        prev = step
        converged = np.all(np.abs(step) <= tol * np.maximum(a, 1e-6 * a_max_v), axis=-1)
        if converged.all():
            break
    res = np.where(mask, foc_residual(a, theta, omega, beta, c, phi_B, phi_C, a_max, mask), 0.0)
    return Equilibrium(a, res, it, converged)
